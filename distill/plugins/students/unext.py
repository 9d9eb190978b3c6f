"""UNeXt baseline (Valanarasu & Patel, MICCAI 2022): conv stages + tokenised shifted-MLP stages."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import Family, ModelParams, SegOutput, Student
from distill.nn import resize_to


def shift_channels(x: Tensor, dim: int, groups: int = 5) -> Tensor:
    """Split channels into ``groups`` and shift group ``k`` by ``k - groups // 2`` pixels
    along spatial ``dim`` (2: height, 3: width), zero-filling: UNeXt's axial token shift."""
    pad = groups // 2
    padded = F.pad(x, (pad, pad, pad, pad))
    chunks = padded.chunk(groups, dim=1)
    shifted = [c.roll(k - pad, dims=dim) for k, c in enumerate(chunks)]
    out = torch.cat(shifted, dim=1)
    return out[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]


class ShiftedMLP(nn.Module):
    """Tokenised MLP: shift along height, linear, depthwise 3x3 conv, GELU, shift along width,
    linear. Tokens are (B, N, C); ``hw`` gives the grid for the shifts and the conv."""

    def __init__(self, dim: int, hidden: int, shift_groups: int = 5) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        self.shift_groups = shift_groups

    def forward(self, tokens: Tensor, hw: tuple[int, int]) -> Tensor:
        h, w = hw
        x = _to_map(tokens, h, w)
        x = self.fc1(_to_tokens(shift_channels(x, 2, self.shift_groups)))
        x = self.act(self.dwconv(_to_map(x, h, w)))
        return self.fc2(_to_tokens(shift_channels(x, 3, self.shift_groups)))


class ShiftedBlock(nn.Module):
    """Pre-norm residual tokenised-MLP block, then a LayerNorm (as after each UNeXt stage)."""

    def __init__(self, dim: int, mlp_ratio: float = 1.0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = ShiftedMLP(dim, int(dim * mlp_ratio))
        self.out_norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        tokens = _to_tokens(x)
        tokens = tokens + self.mlp(self.norm(tokens), (h, w))
        return _to_map(self.out_norm(tokens), h, w)


def _to_tokens(x: Tensor) -> Tensor:
    return x.flatten(2).transpose(1, 2)


def _to_map(tokens: Tensor, h: int, w: int) -> Tensor:
    return tokens.transpose(1, 2).reshape(tokens.shape[0], -1, h, w)


class OverlapPatchEmbed(nn.Module):
    """3x3 stride-2 conv tokeniser followed by LayerNorm over channels."""

    def __init__(self, in_ch: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, 3, stride=2, padding=1)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        x = self.proj(x)
        return _to_map(self.norm(_to_tokens(x)), *x.shape[-2:])


class ConvBNStage(nn.Module):
    """3x3 conv + BN, then resample by 2 (max-pool down or bilinear up) and ReLU."""

    def __init__(self, in_ch: int, out_ch: int, up: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.bn = nn.BatchNorm2d(out_ch)
        self.up = up

    def forward(self, x: Tensor) -> Tensor:
        x = self.bn(self.conv(x))
        if self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        else:
            x = F.max_pool2d(x, 2)
        return F.relu(x)


class UNeXt(Student):
    """UNeXt (Valanarasu 2022): conv stages + tokenised shifted-MLP stages, light decoder; any size.

    Widths (16, 32, 128 | 160, 256), MLP ratio 1, shift groups 5, decoder adds the encoder
    maps and runs shifted-MLP blocks at strides 16 and 8, as in the authors' code
    (jeya-maria-jose/UNeXt-pytorch). Published: 1.47M parameters (Valanarasu & Patel,
    MICCAI 2022, Table 1). Features are the encoder maps at strides 2, 4, 8, 16, 32.
    """

    family: ClassVar[Family] = "cnn"
    published_params: ClassVar[float] = 1.47
    published_source: ClassVar[str] = "Valanarasu & Patel, UNeXt, MICCAI 2022, Table 1 (1.47M)"

    class Params(ModelParams):
        conv_widths: tuple[int, int, int] = Field(
            (16, 32, 128), description="widths of the three conv stages (strides 2, 4, 8)"
        )
        mlp_widths: tuple[int, int] = Field(
            (160, 256), description="token widths of the two shifted-MLP stages (strides 16, 32)"
        )
        mlp_ratio: float = Field(1.0, gt=0, description="hidden/width ratio of the shifted MLPs")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        c1, c2, c3 = params.conv_widths
        t4, t5 = params.mlp_widths
        self.enc = nn.ModuleList(
            [
                ConvBNStage(params.in_channels, c1, up=False),
                ConvBNStage(c1, c2, up=False),
                ConvBNStage(c2, c3, up=False),
            ]
        )
        self.embed4, self.block4 = OverlapPatchEmbed(c3, t4), ShiftedBlock(t4, params.mlp_ratio)
        self.embed5, self.block5 = OverlapPatchEmbed(t4, t5), ShiftedBlock(t5, params.mlp_ratio)
        self.dec = nn.ModuleList(
            [
                ConvBNStage(t5, t4, up=True),
                ConvBNStage(t4, c3, up=True),
                ConvBNStage(c3, c2, up=True),
                ConvBNStage(c2, c1, up=True),
                ConvBNStage(c1, c1, up=True),
            ]
        )
        self.dec_blocks = nn.ModuleList(
            [ShiftedBlock(t4, params.mlp_ratio), ShiftedBlock(c3, params.mlp_ratio)]
        )
        self.head = nn.Conv2d(c1, params.num_classes, 1)
        self.feature_channels = [c1, c2, c3, t4, t5]
        self.feature_strides = [2, 4, 8, 16, 32]

    def forward(self, x: Tensor) -> SegOutput:
        feats = []
        y = x
        for stage in self.enc:
            y = stage(y)
            feats.append(y)
        y = self.block4(self.embed4(y))
        feats.append(y)
        y = self.block5(self.embed5(y))
        feats.append(y)
        for i, skip in enumerate(reversed(feats[:-1])):
            y = resize_to(self.dec[i](y), skip) + skip
            if i < len(self.dec_blocks):
                y = self.dec_blocks[i](y)
        y = self.dec[-1](y)
        return SegOutput(logits=resize_to(self.head(y), x), features=feats)


@hookimpl
def distill_register_students(register) -> None:
    register("unext", UNeXt)
