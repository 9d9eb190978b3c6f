"""CNN teacher: a timm ResNet/ConvNeXt encoder with a U-Net decoder, the local-detail
(response) path of dual distillation."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import SegOutput, Teacher
from distill.nn import BackboneWeightsParams, PyramidFeatures, create_timm_features
from distill.plugins.teachers.decoders import UNetDecoder


class CNNTeacher(Teacher):
    """Strong CNN teacher: timm ResNet/ConvNeXt encoder + U-Net decoder."""

    family = "cnn"

    class Params(BackboneWeightsParams):
        backbone: str = Field(
            "resnet50", description="timm CNN backbone, e.g. resnet50, convnext_tiny"
        )
        decoder_channels: list[int] = Field(
            [256, 128, 64], description="U-Net decoder widths at strides 16, 8, 4"
        )
        weights_file: Path | None = Field(
            None, description="local backbone weights (.pth or .safetensors state dict)"
        )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        raw = create_timm_features(
            params.backbone,
            pretrained=params.pretrained,
            weights_file=params.weights_file,
            in_channels=params.in_channels,
            out_indices=None,
        )
        self.backbone = PyramidFeatures(raw, f"cnn teacher '{params.backbone}'")
        self.feature_channels = list(self.backbone.channels)
        self.feature_strides = list(self.backbone.strides)
        self.decoder = UNetDecoder(
            self.feature_channels, list(reversed(params.decoder_channels)), params.num_classes
        )

    def extract_features(self, x: Tensor) -> list[Tensor]:
        return self.backbone(x)

    def forward(self, x: Tensor) -> SegOutput:
        features = self.backbone(x)
        return SegOutput(logits=self.decoder(features, x.shape[-2:]), features=features)


@hookimpl
def distill_register_teachers(register):
    register("cnn", CNNTeacher)
