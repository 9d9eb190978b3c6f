"""Swin-Unet: a pure-Swin U-shaped network (timm Swin encoder, mirrored Swin decoder)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch
from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import ConfigError, SegOutput, Student
from distill.nn import BackboneWeightsParams, create_timm_features
from distill.plugins.students.swinunet.decoder import PatchExpand, SwinDecoder

BACKBONE = "swin_tiny_patch4_window7_224"


def pick_window(size: tuple[int, int]) -> int:
    """Swin-T's 7 when the stride-4 map is a multiple of 7 (224 inputs), else 8 (256, 192)."""
    return 7 if size[0] // 4 % 7 == 0 and size[1] // 4 % 7 == 0 else 8


class SwinUnet(Student):
    """Swin-Unet (Cao et al. 2021): Swin-T encoder and a symmetric Swin decoder with patch expanding; runs at any size divisible by 32 given as img_size, window 7 or 8 chosen from it (timm shrinks windows larger than a map).

    Published count: 27.17M (Swin-Unet paper, ECCV-W 2022, Table 1 on Synapse, 224x224,
    window 7, encoder depths 2-2-2-2, 9 classes). Ours is within 1%: the relative position
    tables grow with the window (8 at 256x256) and the classes change the 1x1 head only.
    The encoder is timm's Swin-T with depths 2-2-2-2; its skips are the stage outputs
    (after each stage's blocks), which are what the paper's figure draws.
    """

    family: ClassVar[str] = "transformer"
    published_params: ClassVar[float] = 27.17
    published_source: ClassVar[str] = (
        "Cao et al., Swin-Unet, ECCV Workshops 2022, Table 1 (27.17M, 224x224); "
        "github.com/HuCaoFighting/Swin-Unet"
    )

    class Params(BackboneWeightsParams):
        img_size: int | tuple[int, int] = Field(
            224, description="input size (H, W); fixes the Swin attention masks and windows"
        )
        window_size: int | None = Field(
            None, ge=2, description="Swin window; None picks 7 (224 inputs) or 8 from img_size"
        )
        embed_dim: int = Field(96, ge=8, description="channels after patch embedding")
        depths: tuple[int, int, int, int] = Field(
            (2, 2, 2, 2), description="Swin blocks per stage (encoder, mirrored in the decoder)"
        )
        num_heads: tuple[int, int, int, int] = Field(
            (3, 6, 12, 24), description="attention heads per stage"
        )
        drop_path_rate: float = Field(0.1, ge=0.0, lt=1.0, description="stochastic depth")
        weights_file: Path | None = Field(None, description="local Swin-T encoder weights")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        size = params.img_size if isinstance(params.img_size, tuple) else (params.img_size,) * 2
        if size[0] % 32 or size[1] % 32:
            raise ConfigError(f"swinunet: img_size {size} must be divisible by 32")
        window = params.window_size or pick_window(size)
        self.encoder = create_timm_features(
            BACKBONE,
            pretrained=params.pretrained,
            weights_file=params.weights_file,
            in_channels=params.in_channels,
            out_indices=(0, 1, 2, 3),
            img_size=size,
            window_size=window,
            embed_dim=params.embed_dim,
            depths=params.depths,
            num_heads=params.num_heads,
            drop_path_rate=params.drop_path_rate,
            pretrained_strict=False,  # Swin-T checkpoints hold 6 blocks in stage 3, we use 2
        )
        dims = [params.embed_dim * 2**i for i in range(4)]
        rates = torch.linspace(0, params.drop_path_rate, sum(params.depths)).tolist()
        starts = [sum(params.depths[:i]) for i in range(4)]
        per_stage = [rates[s : s + n] for s, n in zip(starts, params.depths, strict=True)]
        self.decoder = SwinDecoder(
            dims,
            params.depths,
            params.num_heads,
            [(size[0] // 2 ** (i + 2), size[1] // 2 ** (i + 2)) for i in range(4)],
            window,
            drop_path=per_stage[-2::-1],
        )
        self.final_expand = PatchExpand(dims[0], scale=4)
        self.head = nn.Conv2d(dims[0], params.num_classes, kernel_size=1, bias=False)
        self.feature_channels = dims
        self.feature_strides = [4, 8, 16, 32]

    def forward(self, x: Tensor) -> SegOutput:
        skips = [f.permute(0, 2, 3, 1) for f in self.encoder(x)]  # NCHW -> NHWC
        decoded = self.decoder(skips)
        logits = self.head(self.final_expand(decoded[0]).permute(0, 3, 1, 2))
        return SegOutput(
            logits=logits, features=[d.permute(0, 3, 1, 2).contiguous() for d in decoded]
        )
