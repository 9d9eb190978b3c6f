"""MedT: a gated-axial global branch on the whole image plus a local branch on patches."""

from __future__ import annotations

from typing import ClassVar

import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import ConfigError, ModelParams, SegOutput, Student
from distill.nn import resize_to
from distill.plugins.students.medt.axial import axial_layer

GRID = 4  # the local branch works on a 4x4 grid of patches, as in the paper


def stem(in_channels: int, width: int) -> nn.Sequential:
    """Conv 7x7/2, 3x3 to 128, 3x3 back to ``width``; each BN + ReLU (as the authors')."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.Conv2d(width, 128, 3, padding=1, bias=False),
        nn.BatchNorm2d(128),
        nn.ReLU(inplace=True),
        nn.Conv2d(128, width, 3, padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
    )


def up_add(conv: nn.Module, x: Tensor, skip: Tensor) -> Tensor:
    """Decoder step: conv, bilinear up to the skip's size, ReLU, add the skip."""
    return F.relu(resize_to(conv(x), skip)) + skip


def to_patches(x: Tensor) -> Tensor:
    b, c, h, w = x.shape
    x = x.view(b, c, GRID, h // GRID, GRID, w // GRID).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b * GRID * GRID, c, h // GRID, w // GRID)


def from_patches(x: Tensor) -> Tensor:
    n, c, ph, pw = x.shape
    x = x.view(n // (GRID * GRID), GRID, GRID, c, ph, pw).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(-1, c, GRID * ph, GRID * pw)


class MedT(Student):
    """MedT (Valanarasu et al. 2021): gated axial-attention global branch + 4x4-patch local branch (LoGo); runs at any size divisible by 64, relative positions interpolated beyond img_size.

    The network is the authors' (lib/models/axialnet.py ``MedT``): both stems are conv 7x7/2,
    3x3 to 128, 3x3 back; the global stem is 3->8->128->8 and the local one 3->64->128->64,
    because the authors' code builds the local branch with the channel count the global
    branch ended on (64 at s=0.125), so the first local block takes 64 channels.

    Published count: the paper's Table 3 says 1.4M; the authors' code builds 1.560M
    (128x128, 2 classes). Ours is 1.525M, exactly the code's count less the modules it builds
    but never calls (``adjust_p``, 34 parameters, and the ``conv1`` of each of the 8
    position-free blocks, 35,536). Ours also makes the four gates learnable, as the paper
    describes (the code freezes them; the count is the same). The global branch has 1 + 2
    gated axial blocks (strides 2 and 4), the local branch 1 + 2 + 4 + 1 position-free blocks
    on each of the 16 patches; the patches are batched instead of looped, which is the same
    computation.
    """

    family: ClassVar[str] = "transformer"
    published_params: ClassVar[float] = 1.56
    published_source: ClassVar[str] = (
        "github.com/jeya-maria-jose/Medical-Transformer lib/models/axialnet.py MedT "
        "(1.560M counted, img 128, 2 classes); Valanarasu et al., MICCAI 2021, Table 3 "
        "gives 1.4M"
    )

    class Params(ModelParams):
        img_size: int | tuple[int, int] = Field(
            128, description="input size (H, W) the relative position tables are built for"
        )
        width_scale: float = Field(0.125, gt=0, description="channel multiplier s of the paper")
        groups: int = Field(8, ge=1, description="attention heads per axial attention")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        size = params.img_size if isinstance(params.img_size, tuple) else (params.img_size,) * 2
        if size[0] % 64 or size[1] % 64:
            raise ConfigError(f"medt: img_size {size} must be divisible by 64")
        s, g = params.width_scale, params.groups
        c = [int(64 * s), int(128 * s), int(256 * s), int(512 * s), int(1024 * s)]
        exp = 2  # axial block expansion
        spans = (size[0] // 2, size[1] // 2)
        # global branch: whole image, gated axial attention with relative positions
        self.stem = stem(params.in_channels, c[0])
        self.layer1 = axial_layer(c[0], c[1], 1, g, spans)
        self.layer2 = axial_layer(c[1] * exp, c[2], 2, g, spans, stride=2)
        self.decoder4 = nn.Conv2d(c[2] * exp, c[1] * exp, 3, padding=1)
        self.decoder5 = nn.Conv2d(c[1] * exp, c[1], 3, padding=1)
        # local branch: 4x4 patches, position-free axial attention, deeper; its stem is as
        # wide as the global branch's output (the authors' code carries that width over)
        self.stem_local = stem(params.in_channels, c[2] * exp)
        self.local_layers = nn.ModuleList(
            [
                axial_layer(c[2] * exp, c[1], 1, g, None),
                axial_layer(c[1] * exp, c[2], 2, g, None, stride=2),
                axial_layer(c[2] * exp, c[3], 4, g, None, stride=2),
                axial_layer(c[3] * exp, c[4], 1, g, None, stride=2),
            ]
        )
        self.local_decoders = nn.ModuleList(
            [
                nn.Conv2d(c[4] * exp, c[4] * exp, 3, stride=2, padding=1),
                nn.Conv2d(c[4] * exp, c[4], 3, padding=1),
                nn.Conv2d(c[4], c[3], 3, padding=1),
                nn.Conv2d(c[3], c[2], 3, padding=1),
                nn.Conv2d(c[2], c[1], 3, padding=1),
            ]
        )
        self.fuse = nn.Conv2d(c[1], c[1], 3, padding=1)
        self.head = nn.Conv2d(c[1], params.num_classes, 1)
        self.feature_channels = [c[1], c[1] * exp, c[2] * exp, c[3] * exp, c[4] * exp]
        self.feature_strides = [1, 2, 4, 8, 16]

    def _local(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        patches = to_patches(x)
        skips = []
        y = self.stem_local(patches)
        for layer in self.local_layers:
            y = layer(y)
            skips.append(y)
        for conv, skip in zip(self.local_decoders[:-1], reversed(skips), strict=True):
            y = up_add(conv, y, skip)
        y = self.local_decoders[-1](y)
        y = F.relu(resize_to(y, patches))
        return from_patches(y), [from_patches(skips[2]), from_patches(skips[3])]

    def forward(self, x: Tensor) -> SegOutput:
        if x.shape[-2] % 64 or x.shape[-1] % 64:
            raise ValueError(f"medt needs H and W divisible by 64, got {tuple(x.shape)}")
        x1 = self.layer1(self.stem(x))
        x2 = self.layer2(x1)
        y = up_add(self.decoder4, x2, x1)
        y = F.relu(resize_to(self.decoder5(y), x))
        local, local_feats = self._local(x)
        fused = F.relu(self.fuse(y + local))
        return SegOutput(logits=self.head(fused), features=[fused, x1, x2, *local_feats])
