"""``data.augment``: each augmentation pass with its probability and strength, so a
researcher can switch any of them off; the passes themselves are in distill.core.augment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from distill.core.config.sections import Section


class AugmentParams(Section):
    """Batched, on-device augmentation applied identically to images and masks."""

    enabled: bool = Field(True, description="augment training batches")
    hflip: float = Field(0.5, ge=0, le=1, description="probability of a horizontal flip")
    vflip: float = Field(0.5, ge=0, le=1, description="probability of a vertical flip")
    rotate: float = Field(30.0, ge=0, le=180, description="max rotation, degrees")
    scale: tuple[float, float] = Field((0.85, 1.15), description="zoom range")
    translate: float = Field(0.05, ge=0, le=0.5, description="max shift, fraction of size")
    affine_p: float = Field(0.7, ge=0, le=1, description="probability of the affine jitter")
    elastic_p: float = Field(0.0, ge=0, le=1, description="probability of elastic jitter")
    brightness: float = Field(0.15, ge=0, le=1, description="colour jitter: brightness")
    contrast: float = Field(0.15, ge=0, le=1, description="colour jitter: contrast")
    saturation: float = Field(0.1, ge=0, le=1, description="colour jitter: saturation")
    hue: float = Field(0.02, ge=0, le=0.5, description="colour jitter: hue")
    color_p: float = Field(0.8, ge=0, le=1, description="probability of colour jitter")
    # Zooming out half the time (lesions down to a tenth of their area, the frame's edge
    # pixels filling the border) is on by default: chosen on the shift-val split of the
    # real sample over the artefact passes and colour constancy (benchmarks/robustness).
    # The other robustness passes are off at probability 0, their default.
    zoom_p: float = Field(0.5, ge=0, le=1, description="probability of a wide zoom (0: off)")
    zoom: tuple[float, float] = Field(
        (0.35, 1.0),
        description="wide zoom range, log-uniform: < 1 zooms out (smaller lesions, padded "
        "borders), > 1 is a random resized crop; placed anywhere it fits",
    )
    padding: Literal["zeros", "reflection", "border"] = Field(
        "border",
        description="what fills the frame outside the warped image (border: the edge "
        "pixels repeated; zeros: black)",
    )
    hair_p: float = Field(0.0, ge=0, le=1, description="probability of synthetic hair strands")
    hair: int = Field(8, ge=1, le=64, description="most hair strands per image")
    ruler_p: float = Field(0.0, ge=0, le=1, description="probability of a ruler's tick marks")
    ruler: float = Field(0.9, ge=0, le=1, description="strongest opacity of ruler marks")
    ink_p: float = Field(0.0, ge=0, le=1, description="probability of ink circles and dots")
    ink: float = Field(0.8, ge=0, le=1, description="strongest opacity of ink marks")
    bubble_p: float = Field(0.0, ge=0, le=1, description="probability of gel bubbles/glints")
    bubble: int = Field(6, ge=1, le=64, description="most bubbles and specular spots per image")
    vignette_p: float = Field(0.0, ge=0, le=1, description="probability of vignetting")
    vignette: float = Field(0.6, ge=0, le=1, description="strongest darkening at the corners")
    rim_p: float = Field(0.0, ge=0, le=1, description="probability of a dark dermoscope rim")
    rim: float = Field(
        0.35, ge=0, le=0.9, description="how far the rim reaches in, share of the half-diagonal"
    )
    illuminant_p: float = Field(
        0.0, ge=0, le=1, description="probability of an illuminant change (per-channel gains)"
    )
    illuminant: float = Field(0.2, ge=0, le=1, description="largest log-gain of one channel")
    blur_p: float = Field(0.0, ge=0, le=1, description="probability of Gaussian blur")
    blur: float = Field(
        0.012, gt=0, le=0.1, description="largest blur sigma, share of the shorter side"
    )
    jpeg_p: float = Field(0.0, ge=0, le=1, description="probability of JPEG degradation")
    jpeg: tuple[int, int] = Field((30, 90), description="JPEG quality range (1..100)")

    @field_validator("zoom")
    @classmethod
    def _zoom_ok(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 < v[0] <= v[1] <= 10:
            raise ValueError("zoom must be (low, high) with 0 < low <= high <= 10")
        return v

    @field_validator("jpeg")
    @classmethod
    def _quality_ok(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= v[0] <= v[1] <= 100:
            raise ValueError("jpeg must be (low, high) qualities with 1 <= low <= high <= 100")
        return v
