"""A PNG grid of samples with mask overlays: the quickest check that data looks right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from distill.core.augment import BatchAugment
from distill.core.interfaces import SplitArrays

PALETTE = np.array(
    [
        [0, 0, 0],
        [255, 60, 60],
        [60, 200, 255],
        [255, 220, 0],
        [120, 255, 120],
        [255, 0, 255],
        [0, 255, 200],
        [255, 140, 0],
    ],
    dtype=np.float32,
)


def overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Tint each class and draw its contour in full colour."""
    out = image.astype(np.float32)
    for cls in np.unique(mask):
        if cls == 0:
            continue
        colour = PALETTE[int(cls) % len(PALETTE)]
        region = mask == cls
        out[region] = 0.65 * out[region] + 0.35 * colour
        edge = region & ~ndimage.binary_erosion(region)
        out[edge] = colour
    return out.clip(0, 255).astype(np.uint8)


def as_rgb(pics: np.ndarray) -> np.ndarray:
    """(N, H, W, C) for display: RGB as is, any other channel count shows channel 0 as gray."""
    if pics.shape[-1] == 3:
        return pics
    return np.repeat(pics[..., :1], 3, axis=-1)


def preview_grid(
    arrays: SplitArrays,
    num_classes: int,
    out: Path,
    count: int = 8,
    seed: int = 0,
    augment: bool = True,
) -> Path:
    """Rows of (image, image + mask overlay) pairs, ``count`` samples, augmented if asked."""
    n = min(count, len(arrays))
    images = torch.from_numpy(np.ascontiguousarray(arrays.images[:n])).permute(0, 3, 1, 2)
    images = images.float() / 255
    masks = torch.from_numpy(np.ascontiguousarray(arrays.masks[:n])).long()
    if augment:
        images, masks = BatchAugment()(images, masks, torch.Generator().manual_seed(seed))
    pics = as_rgb((images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8))
    tiles = [
        np.concatenate([p, overlay(p, m)], axis=1) for p, m in zip(pics, masks.numpy(), strict=True)
    ]
    cols = 2 if n > 3 else 1
    rows = [
        np.concatenate(
            tiles[i : i + cols] + [np.zeros_like(tiles[0])] * (cols - len(tiles[i : i + cols])),
            axis=1,
        )
        for i in range(0, n, cols)
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out)
    return out
