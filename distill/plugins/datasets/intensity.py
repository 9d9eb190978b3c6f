"""Raw pixel values to [0, 1]: the one place where bit depth, range and windows are decided.

The cache and the engine hold 8-bit images, so every decoder hands its raw values here
first. The rule is explicit, because a wrong guess is silent: a 16-bit grayscale PNG cast
straight to 8 bits is all white, and 12-bit data in a 16-bit container is nearly black.

* ``scaling="bit_depth"`` (default): ``value / (2**bits - 1)``, ``bits`` being the declared
  ``bit_depth`` or else the file's container depth (8 or 16). A value above the declared
  depth is an error, not a clip.
* ``scaling="image_range"``: per image, ``(value - min) / (max - min)``.
* ``window=(centre, width)``: ``(value - (centre - width / 2)) / width``, clipped; DICOM
  values are rescaled (slope/intercept) first, so CT windows are in Hounsfield units.

DICOM and NIfTI hold physical values, not a bit depth: they use ``window`` when given, and
the per-image range otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from distill.core.errors import ConfigError, DataError

Scaling = Literal["bit_depth", "image_range"]


class Intensity(BaseModel):
    """How a dataset's raw pixel values map to [0, 1] (one rule for train, eval, predict)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scaling: Scaling = "bit_depth"
    bit_depth: int | None = Field(None, ge=1, le=32)
    window: tuple[float, float] | None = None

    def check(self) -> Intensity:
        if self.window is not None and self.window[1] <= 0:
            raise ConfigError(f"window width must be positive, got {self.window[1]}")
        return self


def window_unit(values: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    centre, width = window
    low = centre - width / 2
    return np.clip((values.astype(np.float32) - low) / width, 0.0, 1.0)


def range_unit(values: np.ndarray) -> np.ndarray:
    """Per-image min-max; a constant image maps to 0 (there is no contrast to keep)."""
    values = values.astype(np.float32)
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if high <= low:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def physical_unit(values: np.ndarray, intensity: Intensity) -> np.ndarray:
    """DICOM / NIfTI / float data: a window when declared, else the per-image range."""
    if intensity.window is not None:
        return window_unit(values, intensity.window)
    return range_unit(values)


def integer_unit(values: np.ndarray, container_bits: int, path: Path, intensity: Intensity):
    """Integer pixels of a PNG/TIFF/JPEG to float32 [0, 1] by the dataset's rule."""
    if intensity.window is not None:
        return window_unit(values, intensity.window)
    if intensity.scaling == "image_range":
        return range_unit(values)
    bits = intensity.bit_depth or container_bits
    top = float(2**bits - 1)
    if values.size and float(values.max()) > top:
        raise DataError(
            f"{path}: pixel value {int(values.max())} exceeds the declared bit_depth {bits} "
            f"(max {int(top)}); declare the right bit_depth or use scaling=image_range"
        )
    if values.size and float(values.min()) < 0:
        raise DataError(
            f"{path}: negative pixel values (min {int(values.min())}); use a window or "
            "scaling=image_range"
        )
    return values.astype(np.float32) / top


def float_unit(values: np.ndarray, path: Path, intensity: Intensity) -> np.ndarray:
    """Floating-point images (TIFF mode F): already in [0, 1], or a window / image range."""
    if intensity.window is not None or intensity.scaling == "image_range":
        return physical_unit(values, intensity)
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if low < 0 or high > 1:
        raise DataError(
            f"{path}: floating-point image with values in [{low:g}, {high:g}]; "
            "set scaling=image_range or a window (centre, width)"
        )
    return values.astype(np.float32)


def to_uint8(unit: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(unit, 0.0, 1.0) * 255.0).astype(np.uint8)
