"""Pixels to model input, as dataset parameters: intensity rule, channels, mean/std.

Shared by ``folder``, ``nnunet`` and ``datalist``, so that training, evaluation and
prediction read an image the same way. ``normalise="train"`` computes the per-channel
mean/std on the training split, decoded at ``stats_size`` (a fixed size, so the values do
not depend on the training size or on which split is read first); ``"imagenet"`` keeps
the ImageNet statistics that pretrained RGB backbones expect; ``"auto"`` is ImageNet for
RGB data and the training split otherwise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from distill.core.errors import ConfigError
from distill.core.interfaces import IMAGENET_MEAN, IMAGENET_STD
from distill.plugins.datasets.base import CachedParams
from distill.plugins.datasets.intensity import Intensity, Scaling

STATS_FIELDS = {"normalise", "stats_size", "mean", "std"}  # no effect on decoding or cache


class ImageParams(CachedParams):
    scaling: Scaling = Field(
        "bit_depth", description="bit_depth: value / (2^bits - 1); image_range: per-image min-max"
    )
    bit_depth: int | None = Field(
        None, ge=1, le=32, description="declared bits per pixel (default: the file's 8 or 16)"
    )
    window: tuple[float, float] | None = Field(
        None, description="(centre, width) intensity window, e.g. CT (40, 400) in HU"
    )
    normalise: Literal["auto", "train", "imagenet"] = Field(
        "auto", description="mean/std: training split, ImageNet, or auto (ImageNet if RGB)"
    )
    stats_size: tuple[int, int] = Field((128, 128), description="size the train stats use")
    mean: list[float] | None = Field(None, description="explicit per-channel mean in [0, 1]")
    std: list[float] | None = Field(None, description="explicit per-channel std in [0, 1]")

    def intensity(self) -> Intensity:
        return Intensity(scaling=self.scaling, bit_depth=self.bit_depth, window=self.window).check()


def channel_stats(images: np.ndarray, chunk: int = 64) -> tuple[tuple[float, ...], ...]:
    """Per-channel mean and std in [0, 1] of uint8 (N, H, W, C) images, chunked so a
    disk-backed cache is never loaded whole; a flat channel gets std 1/255, not 0."""
    channels = images.shape[-1]
    total = np.zeros(channels)
    squares = np.zeros(channels)
    count = 0
    for start in range(0, len(images), chunk):
        block = np.asarray(images[start : start + chunk], dtype=np.float64) / 255.0
        total += block.sum(axis=(0, 1, 2))
        squares += np.square(block).sum(axis=(0, 1, 2))
        count += block.shape[0] * block.shape[1] * block.shape[2]
    mean = total / max(count, 1)
    std = np.sqrt(np.maximum(squares / max(count, 1) - mean**2, 0.0))
    return tuple(float(m) for m in mean), tuple(float(max(s, 1 / 255)) for s in std)


class Normalised:
    """Mixin for a :class:`CachedDataset` with :class:`ImageParams`: ``mean`` and ``std``
    as the parameters say, computed once from the training split when asked."""

    params: ImageParams
    in_channels: int
    not_decoding = frozenset(STATS_FIELDS)
    _stats: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    @property
    def mean(self) -> tuple[float, ...]:
        return self.statistics()[0]

    @property
    def std(self) -> tuple[float, ...]:
        return self.statistics()[1]

    def normalisation(self) -> str:
        mode = self.params.normalise
        if mode == "auto":
            mode = "imagenet" if self.in_channels == 3 else "train"
        return mode

    def statistics(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        if self._stats is None:
            self._stats = self._compute_stats()
        return self._stats

    def _compute_stats(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        p, n = self.params, self.in_channels
        if (p.mean is None) != (p.std is None):
            raise ConfigError(f"{self.name}: give both mean and std, or neither")
        if p.mean is not None and p.std is not None:
            if len(p.mean) != n or len(p.std) != n:
                raise ConfigError(f"{self.name}: mean and std need {n} values (in_channels)")
            return tuple(p.mean), tuple(p.std)
        if self.normalisation() == "imagenet":
            if n != 3:
                raise ConfigError(f"{self.name}: normalise=imagenet needs 3 channels, data has {n}")
            return IMAGENET_MEAN, IMAGENET_STD
        return channel_stats(self.load("train", p.stats_size).images)  # type: ignore[attr-defined]
