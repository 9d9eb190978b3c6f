"""Images the export checks itself on: the run's own data when it can be read, else random.

Parity is measured on real validation images (their logits have the ranges a deployed
model meets), int8 is calibrated on training images and scored on the test split. An
export on a machine without the training data still works: parity then runs on seeded
random images, and the bundle says which it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from distill.core.errors import DistillError


@dataclass(frozen=True)
class Samples:
    images: np.ndarray  # uint8 (N, H, W, C) at the model's size
    masks: np.ndarray | None  # uint8 (N, H, W) class ids, when real
    source: str  # "val split of isic2017-cc0 (12 of 46)" or "random images (...)"

    @property
    def real(self) -> bool:
        return self.masks is not None


def split_samples(run: Any, split: str, limit: int | None, size: tuple[int, int]) -> Samples | None:
    """Up to ``limit`` images of the run's ``split`` (all with ``None``), or ``None`` when
    the dataset cannot be built or read here."""
    from distill.core.evaluation import eval_dataset

    try:
        dataset = eval_dataset(run, None)
        if split not in dataset.split_names():
            return None
        arrays = dataset.load(split, size)
    except (DistillError, OSError):
        return None
    count = len(arrays) if limit is None else min(limit, len(arrays))
    if count == 0:
        return None
    name = run.config.data.dataset.name
    return Samples(
        np.asarray(arrays.images[:count]),
        np.asarray(arrays.masks[:count]),
        f"{split} split of {name} ({count} of {len(arrays)})",
    )


def random_samples(count: int, size: tuple[int, int], channels: int, seed: int = 0) -> Samples:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, *size, channels), dtype=np.uint8)
    return Samples(images, None, f"random images ({count}, seed {seed})")
