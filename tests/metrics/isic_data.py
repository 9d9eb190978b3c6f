"""Locate the shared ISIC sample masks and make perturbed predictions from them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

GT_FOLDER = "isic2017-cc0/ISIC-2017_Training_Part1_GroundTruth"


def shared_data() -> Path:
    env = os.environ.get("DISTILL_SHARED_DATA")
    return (
        Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"
    )  # ../shared next to the repo


def isic_mask_files(count: int) -> list[Path]:
    folder = shared_data() / GT_FOLDER
    files = sorted(folder.glob("ISIC_*_segmentation.png")) if folder.is_dir() else []
    if not files:
        pytest.skip(f"ISIC sample masks not found under {folder}")
    return files[:count]


def perturb(gt: np.ndarray, index: int) -> np.ndarray:
    """A plausible prediction: eroded, dilated, shifted, emptied or left intact by turns."""
    mask = gt > 127
    kind = index % 5
    if kind == 0:
        out = ndimage.binary_erosion(mask, iterations=9)
    elif kind == 1:
        out = ndimage.binary_dilation(mask, iterations=6)
    elif kind == 2:
        out = np.roll(mask, (7, -11), axis=(0, 1))
    elif kind == 3:
        out = np.zeros_like(mask) if index % 2 else mask & (np.arange(mask.shape[1]) < 200)
    else:
        out = mask
    return out.astype(np.uint8) * 255


def load_mask(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))
