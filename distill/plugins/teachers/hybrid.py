"""Hybrid CNN + transformer teacher in the TransFuse / FAT-Net family: the heavy kind of
model the paper distils away. A CNN branch (local detail) and a Swin branch (global context)
run in parallel and are fused at every scale by a BiFusion block."""

from __future__ import annotations

from pathlib import Path

import torch
from pydantic import Field
from torch import Tensor, nn

from distill import hookimpl
from distill.core.interfaces import ConfigError, SegOutput, Teacher
from distill.nn import ConvNormAct, PyramidFeatures, create_timm_features
from distill.plugins.teachers.decoders import UNetDecoder
from distill.plugins.teachers.swin import (
    SwinBackboneParams,
    check_input_size,
    create_swin_features,
)


class BiFusion(nn.Module):
    """TransFuse's BiFusion (Zhang et al. 2021), simplified: channel attention re-weights
    the transformer map, spatial attention focuses the CNN map, their Hadamard product
    models interaction, and a conv merges the three."""

    def __init__(self, cnn_channels: int, vit_channels: int, out_channels: int) -> None:
        super().__init__()
        hidden = max(vit_channels // 4, 8)
        self.channel_attention = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(vit_channels, hidden, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, vit_channels, 1),
            nn.Sigmoid(),
        )
        self.spatial_attention = nn.Sequential(nn.Conv2d(2, 1, 7, padding=3), nn.Sigmoid())
        self.cnn_proj = ConvNormAct(cnn_channels, out_channels, 1)
        self.vit_proj = ConvNormAct(vit_channels, out_channels, 1)
        self.interaction = ConvNormAct(out_channels, out_channels, 3)
        self.merge = ConvNormAct(3 * out_channels, out_channels, 3)

    def forward(self, cnn: Tensor, vit: Tensor) -> Tensor:
        vit = self.vit_proj(vit * self.channel_attention(vit))
        pooled = torch.cat([cnn.mean(1, keepdim=True), cnn.amax(1, keepdim=True)], dim=1)
        cnn = self.cnn_proj(cnn * self.spatial_attention(pooled))
        mixed = self.interaction(cnn * vit)
        return self.merge(torch.cat([cnn, vit, mixed], dim=1))


class HybridTeacher(Teacher):
    """Hybrid CNN+transformer (TransFuse-style): ResNet + Swin fused at 4 scales, U-Net head."""

    family = "hybrid"

    class Params(SwinBackboneParams):
        cnn_backbone: str = Field("resnet34", description="timm CNN branch")
        transformer_backbone: str = Field(
            "swin_tiny_patch4_window7_224", description="timm Swin branch"
        )
        fused_channels: list[int] = Field(
            [64, 128, 256, 512], description="BiFusion output widths at strides 4, 8, 16, 32"
        )
        decoder_channels: list[int] = Field(
            [256, 128, 64], description="U-Net decoder widths at strides 16, 8, 4"
        )
        transformer_weights_file: Path | None = Field(
            None, description="local weights of the Swin branch (.pth or .safetensors)"
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        raw = create_timm_features(
            params.cnn_backbone,
            pretrained=params.pretrained,
            weights_file=params.weights_file,
            in_channels=params.in_channels,
            out_indices=None,
        )
        self.cnn = PyramidFeatures(raw, f"hybrid teacher CNN branch '{params.cnn_backbone}'")
        self.transformer = create_swin_features(
            params.transformer_backbone, params, params.transformer_weights_file
        )
        if len(params.fused_channels) != 4 or len(params.decoder_channels) != 3:
            raise ConfigError(
                "hybrid teacher: fused_channels needs 4 widths and decoder_channels 3"
            )
        self.fusions = nn.ModuleList(
            BiFusion(c, t, o)
            for c, t, o in zip(
                self.cnn.channels, self.transformer.channels, params.fused_channels, strict=True
            )
        )
        self.feature_channels = list(params.fused_channels)
        self.feature_strides = list(self.cnn.strides)
        self.decoder = UNetDecoder(
            self.feature_channels, list(reversed(params.decoder_channels)), params.num_classes
        )

    def extract_features(self, x: Tensor) -> list[Tensor]:
        check_input_size(x, self.params.img_size, "hybrid teacher")
        pairs = zip(self.fusions, self.cnn(x), self.transformer(x), strict=True)
        return [fuse(c, t) for fuse, c, t in pairs]

    def forward(self, x: Tensor) -> SegOutput:
        features = self.extract_features(x)
        return SegOutput(logits=self.decoder(features, x.shape[-2:]), features=features)


@hookimpl
def distill_register_teachers(register):
    register("hybrid", HybridTeacher)
