"""MPDNet: the light student of the dual-distillation method (our reading of Cui et al.
2024): a compact CNN encoder and a decoder whose merges are Selective Fusion blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from torch import Tensor, nn

from distill.core.interfaces import ConfigError, SegOutput, Student
from distill.nn import PYRAMID_STRIDES, BackboneWeightsParams, ConvNormAct, resize_to
from distill.plugins.students.mpdnet.decoder import FusionDecoder
from distill.plugins.students.mpdnet.encoder import CompactEncoder, timm_pyramid_encoder


class MPDNet(Student):
    """MPDNet: light CNN encoder + Selective-Fusion decoder, features at strides 4-32."""

    class Params(BackboneWeightsParams):
        encoder: str = Field(
            "compact",
            description="'compact' (residual CNN written here) or a timm backbone name, e.g. "
            "mobilenetv3_large_100 or efficientnet_b0",
        )
        widths: list[int] = Field(
            [24, 48, 96, 192], description="compact encoder widths at strides 4, 8, 16, 32"
        )
        depths: list[int] = Field([1, 2, 2, 1], description="residual blocks per compact stage")
        decoder_channels: list[int] = Field(
            [24, 48, 96], description="decoder widths at strides 4, 8, 16"
        )
        fusion: str = Field("selective", description="registered fusion block for every merge")
        fusion_params: dict[str, Any] = Field({}, description="parameters of the fusion block")
        features_from: Literal["encoder", "decoder"] = Field(
            "encoder", description="which maps are exposed to distillation"
        )
        weights_file: Path | None = Field(
            None, description="local weights file for a timm encoder (.pth or .safetensors)"
        )

        @model_validator(mode="after")
        def _options_fit_the_encoder(self) -> MPDNet.Params:
            """An option the chosen encoder never reads is a mistake, not a no-op: a user who
            names a weights file must not train from random weights without a word."""
            given = self.model_fields_set
            if self.encoder == "compact":
                unused = [f for f in ("pretrained", "weights_file") if getattr(self, f)]
                reason = "the compact encoder is written here and has no timm weights to load"
            else:
                unused = [f for f in ("widths", "depths") if f in given]
                reason = "widths and depths shape the compact encoder; a timm encoder has its own"
            if unused:
                raise ConfigError(
                    f"mpdnet: field '{unused[0]}' cannot be used with encoder='{self.encoder}': "
                    f"{reason} (remove {' and '.join(repr(f) for f in unused)})"
                )
            return self

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        if params.encoder == "compact":
            self.encoder: nn.Module = CompactEncoder(
                params.in_channels, params.widths, params.depths
            )
        else:
            self.encoder = timm_pyramid_encoder(
                params.encoder, params.in_channels, params.pretrained, params.weights_file
            )
        self.decoder = FusionDecoder(
            self.encoder.channels, params.decoder_channels, params.fusion, params.fusion_params
        )
        finest = params.decoder_channels[0]
        self.head = nn.Sequential(
            ConvNormAct(finest, finest, 3), nn.Conv2d(finest, params.num_classes, 1)
        )
        self.feature_strides = list(PYRAMID_STRIDES)
        self.feature_channels = (
            list(self.encoder.channels)
            if params.features_from == "encoder"
            else [*params.decoder_channels, self.encoder.channels[-1]]
        )

    def forward(self, x: Tensor) -> SegOutput:
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        logits = resize_to(self.head(decoded[0]), x)
        features = encoded if self.params.features_from == "encoder" else decoded
        return SegOutput(logits=logits, features=list(features))

    def extract_features(self, x: Tensor) -> list[Tensor]:
        if self.params.features_from == "encoder":
            return self.encoder(x)
        return self.forward(x).features
