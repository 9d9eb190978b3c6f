"""Swin Transformer teacher (Liu et al. 2021): the transformer path of dual distillation.

Swin fixes its token grid at build time, so the teacher takes the run's ``img_size`` and
picks a window that tiles every stage exactly (no padding, no clamping surprises).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from torch import Tensor

from distill import hookimpl
from distill.core.interfaces import ConfigError, DistillError, SegOutput, Teacher
from distill.nn import BackboneWeightsParams, TimmFeatures, create_timm_features
from distill.plugins.teachers.decoders import FPNDecoder

MAX_WINDOW = 12


def window_for(img_size: tuple[int, int], max_window: int = MAX_WINDOW) -> tuple[int, int]:
    """Per axis, the largest window <= ``max_window`` dividing the stride-32 grid; it then
    divides every finer stage too (e.g. 8 at 256, 7 at 224, (6, 8) at 192x256)."""
    return tuple(  # type: ignore[return-value]
        max(w for w in range(1, max_window + 1) if (side // 32) % w == 0) for side in img_size
    )


class SwinBackboneParams(BackboneWeightsParams):
    """Swin fields shared by the Swin and hybrid teachers (``weights_file``: the Swin
    teacher's backbone; the hybrid teacher's CNN branch)."""

    img_size: tuple[int, int] = Field(
        (256, 256),
        description="input height, width (multiples of 32); the engine passes the "
        "run's image size because Swin fixes its token grid when built",
    )
    window_size: int | None = Field(
        None,
        ge=1,
        description="attention window; default: largest <= 12 that tiles every stage at img_size",
    )
    embed_dim: int | None = Field(
        None,
        ge=8,
        description="override the backbone's first-stage width (default: the named model's)",
    )
    depths: list[int] | None = Field(None, description="override blocks per stage")
    num_heads: list[int] | None = Field(None, description="override attention heads per stage")

    @field_validator("img_size")
    @classmethod
    def _multiple_of_32(cls, value: tuple[int, int]) -> tuple[int, int]:
        if any(side <= 0 or side % 32 for side in value):
            raise ValueError("both sides must be positive multiples of 32")
        return value


def create_swin_features(
    name: str, params: SwinBackboneParams, weights_file: Path | None
) -> TimmFeatures:
    """A timm Swin backbone built for ``params.img_size``, returning NCHW stage maps."""
    overrides: dict[str, Any] = {
        key: value
        for key in ("embed_dim", "depths", "num_heads")
        if (value := getattr(params, key)) is not None
    }
    window = params.window_size or window_for(params.img_size)
    grid = [side // 32 for side in params.img_size]
    windows = (window, window) if isinstance(window, int) else window
    if any(g % w for g, w in zip(grid, windows, strict=True)) and params.window_size:
        raise ConfigError(
            f"swin: window_size {params.window_size} does not tile the stride-32 "
            f"grid {grid} of img_size {list(params.img_size)}; leave it unset"
        )
    try:
        return create_timm_features(
            name,
            pretrained=params.pretrained,
            weights_file=weights_file,
            in_channels=params.in_channels,
            out_indices=(0, 1, 2, 3),
            img_size=tuple(params.img_size),
            window_size=window,
            **overrides,
        )
    except (TypeError, AssertionError, RuntimeError) as exc:
        raise ConfigError(f"swin backbone '{name}' rejected its settings: {exc}") from exc


def check_input_size(x: Tensor, img_size: tuple[int, int], who: str) -> None:
    if tuple(x.shape[-2:]) != tuple(img_size):
        raise DistillError(
            f"{who} was built for img_size {list(img_size)} but got an input of "
            f"{list(x.shape[-2:])}; set img_size to the run's image size"
        )


class SwinTeacher(Teacher):
    """Swin Transformer backbone (timm) + UPerNet-style FPN decoder, NCHW features."""

    family = "transformer"

    class Params(SwinBackboneParams):
        backbone: str = Field("swin_tiny_patch4_window7_224", description="timm Swin model")
        decoder_channels: int = Field(128, ge=8, description="width of the FPN decoder")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.backbone = create_swin_features(params.backbone, params, params.weights_file)
        self.feature_channels = list(self.backbone.channels)
        self.feature_strides = list(self.backbone.strides)
        self.decoder = FPNDecoder(
            self.feature_channels, params.decoder_channels, params.num_classes
        )

    def extract_features(self, x: Tensor) -> list[Tensor]:
        check_input_size(x, self.params.img_size, "swin teacher")
        return self.backbone(x)

    def forward(self, x: Tensor) -> SegOutput:
        features = self.extract_features(x)
        return SegOutput(logits=self.decoder(features, x.shape[-2:]), features=features)


@hookimpl
def distill_register_teachers(register):
    register("swin", SwinTeacher)
