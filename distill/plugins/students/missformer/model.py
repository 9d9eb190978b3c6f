"""MISSFormer: Enhanced Transformer encoder, context bridge, and Enhanced Transformer decoder."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import Tensor, nn

from distill.core.interfaces import ModelParams, SegOutput, Student
from distill.plugins.students.missformer.blocks import (
    EnhancedTransformerBlock,
    OverlapPatchEmbed,
    PatchExpand,
)
from distill.plugins.students.missformer.bridge import ContextBridge

DIMS = (64, 128, 320, 512)
HEADS = (1, 2, 5, 8)
REDUCTIONS = (8, 4, 2, 1)


class EncoderStage(nn.Module):
    def __init__(
        self, in_dim: int, dim: int, kernel: int, stride: int, heads: int, sr: int, depth: int
    ) -> None:
        super().__init__()
        self.embed = OverlapPatchEmbed(in_dim, dim, kernel, stride)
        self.blocks = nn.ModuleList(EnhancedTransformerBlock(dim, heads, sr) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        tokens, h, w = self.embed(x)
        for block in self.blocks:
            tokens = block(tokens, h, w)
        return self.norm(tokens).transpose(1, 2).reshape(x.shape[0], -1, h, w)


class DecoderStage(nn.Module):
    """Concat the upsampled tokens with the bridge skip, linear to ``dim``, two Enhanced
    Transformer blocks, then patch expanding (x2, or x4 for the last stage)."""

    def __init__(self, in_dim: int, dim: int, heads: int, sr: int, scale: int) -> None:
        super().__init__()
        self.concat_linear = nn.Linear(in_dim, dim)
        self.blocks = nn.ModuleList(EnhancedTransformerBlock(dim, heads, sr) for _ in range(2))
        self.expand = PatchExpand(dim, scale)

    def forward(self, up: Tensor, skip: Tensor) -> tuple[Tensor, Tensor]:
        b, _, h, w = skip.shape
        x = self.concat_linear(torch.cat([up, skip.flatten(2).transpose(1, 2)], dim=-1))
        for block in self.blocks:
            x = block(x, h, w)
        return x, self.expand(x, h, w)


class MISSFormer(Student):
    """MISSFormer (Huang et al. 2021): Enhanced Transformer blocks (ReMix-FFN) in a U-shape with an Enhanced Transformer Context Bridge; runs at any size divisible by 32.

    Published count: 42.46M (MISSFormer paper, IEEE TMI 2022, Table 1 on Synapse, 224x224,
    9 classes; the official networks/MISSFormer.py). Ours is 35.45M, 16.5% fewer, and
    the whole gap is modules the authors build but never run: the deepest decoder layer
    (``decoder_3``) only patch-expands the bridge output, so its concat linear
    (1024->512) and its two 512-wide transformer blocks (6.88M) never receive a
    gradient, and every ReMix-FFN carries two unused LayerNorms (0.13M in all). The training contract here
    forbids unused parameters, so we build only what runs; the test adds the unused parts
    back and matches 42.46M within 0.1%. No position embeddings, so the count is
    independent of input size.
    """

    family: ClassVar[str] = "transformer"
    published_params: ClassVar[float] = 42.46
    published_source: ClassVar[str] = (
        "Huang et al., MISSFormer, IEEE TMI 2022, Table 1 (42.46M, 224x224); "
        "github.com/ZhifangDeng/MISSFormer"
    )

    class Params(ModelParams):
        bridge_depth: int = Field(4, ge=1, description="layers in the context bridge")
        encoder_depth: int = Field(2, ge=1, description="Enhanced Transformer blocks per stage")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        d = DIMS
        self.stages = nn.ModuleList(
            [
                EncoderStage(
                    params.in_channels, d[0], 7, 4, HEADS[0], REDUCTIONS[0], params.encoder_depth
                ),
                *(
                    EncoderStage(
                        d[i - 1], d[i], 3, 2, HEADS[i], REDUCTIONS[i], params.encoder_depth
                    )
                    for i in range(1, 4)
                ),
            ]
        )
        self.bridge = ContextBridge(d, heads=1, reductions=REDUCTIONS, depth=params.bridge_depth)
        self.expand_bottom = PatchExpand(d[3])
        self.decoders = nn.ModuleList(
            [
                DecoderStage(d[3] // 2 + d[2], d[2], HEADS[2], REDUCTIONS[2], 2),
                DecoderStage(d[2] // 2 + d[1], d[1], HEADS[1], REDUCTIONS[1], 2),
                DecoderStage(d[1] // 2 + d[0], d[0], HEADS[0], REDUCTIONS[0], 4),
            ]
        )
        self.head = nn.Conv2d(d[0], params.num_classes, kernel_size=1)
        self.feature_channels = list(d)
        self.feature_strides = [4, 8, 16, 32]

    def forward(self, x: Tensor) -> SegOutput:
        if x.shape[1] == 1 and self.in_channels == 3:
            x = x.repeat(1, 3, 1, 1)
        levels = []
        for stage in self.stages:
            x = stage(x if not levels else levels[-1])
            levels.append(x)
        skips = self.bridge(levels)
        b, _, h, w = skips[3].shape
        up = self.expand_bottom(skips[3].flatten(2).transpose(1, 2), h, w)
        features = [skips[3]]
        for decoder, skip in zip(self.decoders, skips[2::-1], strict=True):
            decoded, up = decoder(up, skip)
            features.append(decoded.transpose(1, 2).reshape(b, -1, *skip.shape[-2:]))
        out_h, out_w = 4 * skips[0].shape[-2], 4 * skips[0].shape[-1]
        logits = self.head(up.transpose(1, 2).reshape(b, -1, out_h, out_w))
        return SegOutput(logits=logits, features=features[::-1])
