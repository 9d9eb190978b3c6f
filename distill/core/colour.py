"""Shades-of-grey colour constancy: every image as if lit by the same white light.

Dermoscopes differ most in the colour of their light. Shades of grey (Finlayson & Trezzi,
2004) estimates the illuminant of an image as the Minkowski p-mean of each channel
(p = 1: grey world; p -> inf: max-RGB; p = 6 is the usual choice for dermoscopy) and divides
it out, scaled so the mean over channels stays the same. Applied to every split at
training, evaluation and prediction, it removes a shift a model would otherwise have to
learn around. numpy only (no torch): prediction without torch uses the same function.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TypeVar

import numpy as np

from distill.core.errors import ConfigError

CHUNK = 64  # images per step: the float copy of a large split never exists whole

Arrays = TypeVar("Arrays")


def illuminant(images: np.ndarray, p: float) -> np.ndarray:
    """The Minkowski p-mean of each channel, (..., 3) in [0, 1], for (H, W, 3) or
    (N, H, W, 3) uint8 images; a flat black channel gets 1/255, never 0."""
    x = np.asarray(images, dtype=np.float32) / 255.0
    axes = (-3, -2)
    if math.isinf(p):
        estimate = x.max(axis=axes)
    else:
        # divide by the channel maximum before the power: x**p of small values underflows
        top = np.maximum(x.max(axis=axes, keepdims=True), 1 / 255)
        estimate = (np.mean((x / top) ** p, axis=axes) ** (1 / p)) * top[..., 0, 0, :]
    return np.maximum(estimate, 1 / 255)


def shades_of_grey(images_uint8: np.ndarray, p: float = 6.0) -> np.ndarray:
    """Each image's channels scaled so its illuminant estimate is gray: uint8 out, same
    shape, (H, W, 3) or (N, H, W, 3); values pushed past 255 are clipped."""
    images = np.asarray(images_uint8)
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or images.shape[-1] != 3:
        raise ValueError(
            f"shades_of_grey needs uint8 RGB images (H, W, 3) or (N, H, W, 3), got "
            f"{images.dtype} {images.shape}"
        )
    if not p >= 1:
        raise ValueError(f"shades_of_grey needs a Minkowski p >= 1 (or inf), got {p}")
    if images.ndim == 3:
        return shades_of_grey(images[None], p)[0]
    out = np.empty_like(images)
    for start in range(0, len(images), CHUNK):
        block = images[start : start + CHUNK]
        light = illuminant(block, p)  # (n, 3)
        gains = light.mean(axis=-1, keepdims=True) / light
        corrected = block.astype(np.float32) * gains[:, None, None, :]
        out[start : start + CHUNK] = np.clip(np.rint(corrected), 0, 255).astype(np.uint8)
    return out


def constant_split(arrays: Arrays, p: float | None) -> Arrays:
    """A decoded split (anything with ``images`` (N, H, W, 3) uint8) with its images
    colour-corrected; unchanged when ``p`` is None (the option is off)."""
    if p is None:
        return arrays
    images = arrays.images  # type: ignore[attr-defined]
    if images.shape[-1] != 3:
        raise ConfigError(
            f"data.colour_constancy needs RGB images; this data has {images.shape[-1]} channel(s)"
        )
    return dataclasses.replace(arrays, images=shades_of_grey(images, p))  # type: ignore[type-var]
