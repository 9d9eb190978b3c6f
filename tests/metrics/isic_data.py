"""Locate the shared ISIC sample masks and make perturbed predictions from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from tests.conftest import require_isic_sample

GT_FOLDER = "isic2017-cc0/ISIC-2017_Training_Part1_GroundTruth"


def isic_mask_files(count: int) -> list[Path]:
    folder = require_isic_sample() / GT_FOLDER
    return sorted(folder.glob("ISIC_*_segmentation.png"))[:count]


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
