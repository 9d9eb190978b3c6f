"""Binary mask pairs of varied geometry for cross-checking surface distances."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

H, W = 72, 88


def _grid() -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[:H, :W]


def ellipse(cy: float, cx: float, ry: float, rx: float, angle: float = 0.0) -> np.ndarray:
    yy, xx = _grid()
    y, x = yy - cy, xx - cx
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * x + s * y, -s * x + c * y
    return (u / rx) ** 2 + (v / ry) ** 2 <= 1.0


def blobs(seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal((H, W))
    return ndimage.gaussian_filter(noise, 4) > 0.05


def shape_pairs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (prediction, ground truth), every mask non-empty."""
    disk = ellipse(36, 44, 15, 15)
    ring = disk & ~ellipse(36, 44, 6, 6)
    border = np.zeros((H, W), bool)
    border[:30, :25] = True
    border_shifted = np.zeros((H, W), bool)
    border_shifted[5:40, :33] = True
    two = ellipse(20, 20, 8, 10) | ellipse(50, 65, 10, 7)
    pixel = np.zeros((H, W), bool)
    pixel[10, 70] = True
    full = np.ones((H, W), bool)
    return {
        "shifted_disk": (np.roll(disk, (3, -5), axis=(0, 1)), disk),
        "rotated_ellipses": (ellipse(36, 44, 10, 25, 0.6), ellipse(38, 40, 12, 22, -0.3)),
        "hole": (ring, disk),
        "border_touching": (border_shifted, border),
        "multiple_components": (two, ellipse(35, 45, 20, 25)),
        "single_pixel": (pixel, ellipse(30, 30, 6, 9)),
        "random_blobs": (blobs(1), blobs(2)),
        "full_image": (full, disk),
        "identical": (disk, disk),
    }
