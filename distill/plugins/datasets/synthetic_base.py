"""Shared parts of the synthetic generators: parameters, seeding, caching, noise fields.

Each image is drawn from its own generator seeded by (seed, split, index), so an image does
not change when counts change, and generation can be split across workers freely.
"""

from __future__ import annotations

from abc import abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from distill.plugins.datasets import cache
from distill.plugins.datasets.base import CachedDataset, CachedParams
from distill.plugins.datasets.progress import progress_bar

SPLIT_CODES = {"train": 0, "val": 1, "test": 2, "shift": 3}


class SyntheticParams(CachedParams):
    train_count: int = Field(240, ge=1, description="images in the train split")
    val_count: int = Field(40, ge=1, description="images in the val split")
    test_count: int = Field(80, ge=1, description="images in the test split")
    difficulty: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="0 easy .. 1 hard: lower contrast, fuzzier borders, more distractors",
    )


class SyntheticDataset(CachedDataset):
    """A seeded generator; needs no files, and its output is cached like decoded data."""

    Params = SyntheticParams

    def __init__(self, params: SyntheticParams) -> None:
        super().__init__(params)
        self.params: SyntheticParams = params

    def count(self, split: str) -> int:
        return int(getattr(self.params, f"{split}_count"))

    def cache_content(self, split: str) -> Any:
        return {"generator": self.name, "version": self.version, "count": self.count(split)}

    @abstractmethod
    def generate(
        self, rng: np.random.Generator, size: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """One image (H, W, 3) uint8 and its class-id mask (H, W) uint8."""

    def generate_for(
        self, split: str, rng: np.random.Generator, size: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """One image of ``split``: the same generator for every split, unless a dataset
        draws an extra split (``shift``) from other settings."""
        return self.generate(rng, size)

    def build_split(self, split: str, size: tuple[int, int], folder: Path) -> cache.Built:
        self.check_split(split)
        n = self.count(split)
        images, masks = cache.new_arrays(folder, n, size)

        with progress_bar(f"generating {self.name} {split}", n) as advance:
            for i in range(n):
                rng = np.random.default_rng([self.params.seed, SPLIT_CODES[split], i])
                images[i], masks[i] = self.generate_for(split, rng, size)
                advance(1)
        return cache.Built(images, masks, [f"{split}_{i:05d}" for i in range(n)])


# ----------------------------------------------------------------------------- noise fields


def grid(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [-1, 1] along the longer side (y, x), float32."""
    h, w = size
    s = max(h, w)
    y = (np.arange(h, dtype=np.float32) + 0.5 - h / 2) * (2 / s)
    x = (np.arange(w, dtype=np.float32) + 0.5 - w / 2) * (2 / s)
    return np.meshgrid(y, x, indexing="ij")


@lru_cache(maxsize=64)
def _bspline_taps(n: int, cells: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """First grid index and the 4 cubic B-spline weights for each of n output samples."""
    t = (np.arange(n, dtype=np.float64) + 0.5) * cells / n
    i = np.floor(t).astype(np.intp)
    f = t - i
    weights = (
        (1 - f) ** 3 / 6,
        (3 * f**3 - 6 * f**2 + 4) / 6,
        (-3 * f**3 + 3 * f**2 + 3 * f + 1) / 6,
        f**3 / 6,
    )
    return i, tuple(w.astype(np.float32) for w in weights)


def _upsample_rows(coarse: np.ndarray, n: int, cells: int) -> np.ndarray:
    i, weights = _bspline_taps(n, cells)
    return sum(w[:, None] * coarse[i + k] for k, w in enumerate(weights))


def smooth_noise(rng: np.random.Generator, size: tuple[int, int], cells: int) -> np.ndarray:
    """Value noise in about [-1, 1]: a random ``cells``-grid smoothed by cubic B-splines,
    applied separably with 4 taps per axis (elementwise numpy, no BLAS threads to contend)."""
    h, w = size
    coarse = rng.standard_normal((cells + 3, cells + 3)).astype(np.float32)
    field = _upsample_rows(_upsample_rows(coarse, h, cells).T, w, cells).T
    return np.clip(field * 2.0, -1.5, 1.5)


def fractal_noise(
    rng: np.random.Generator, size: tuple[int, int], cells: int = 3, octaves: int = 4
) -> np.ndarray:
    """Sum of value-noise octaves (each twice as fine, half as strong), about [-1, 1]."""
    total = np.zeros(size, dtype=np.float32)
    amp, norm = 1.0, 0.0
    for o in range(octaves):
        total += amp * smooth_noise(rng, size, min(cells * 2**o, max(size) // 2))
        norm += amp
        amp *= 0.5
    return total / norm


def star_shape(
    rng: np.random.Generator,
    yy: np.ndarray,
    xx: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    aspect: float,
    angle: float,
    irregularity: float,
    harmonics: int = 7,
) -> np.ndarray:
    """Normalised distance d/r(theta) of an irregular blob (1 on its border, float32).

    r(theta) is an ellipse perturbed by random low harmonics, which gives the lobed,
    asymmetric outlines of real lesions and squamous cells."""
    dy, dx = yy - centre[0], xx - centre[1]
    c, s = np.cos(angle), np.sin(angle)
    u, v = (c * dx + s * dy) / aspect, (-s * dx + c * dy) * aspect
    dist = np.sqrt(u * u + v * v)
    # cos(k theta + phi) from powers of the unit vector e^(i theta): no arctan2 or cos
    unit = (u + 1j * v).astype(np.complex64) / np.maximum(dist, 1e-12)
    power = unit.copy()
    r = np.ones_like(dist)
    for k in range(2, harmonics + 1):
        power *= unit
        amplitude, phase = rng.uniform(0, irregularity / k), rng.uniform(0, 2 * np.pi)
        r += amplitude * (np.cos(phase) * power.real - np.sin(phase) * power.imag)
    return dist / (radius * np.maximum(r, 0.3))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
