"""Decoding and validating image/mask files; every failure is a DataError naming the file.

Images are resized with an area filter when shrinking (bilinear when enlarging); masks are
always resized with nearest neighbour so class ids survive. JPEGs are decoded at reduced
resolution (``draft``) when the target is much smaller, which makes full-size ISIC fast.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from distill.core.errors import DataError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
SINGLE_CHANNEL_MODES = ("1", "L", "P", "I", "I;16", "I;16B", "I;16L")


def _open(path: Path, what: str) -> Image.Image:
    if not path.is_file():
        raise DataError(f"{path}: missing {what} file")
    try:
        img = Image.open(path)
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{path}: unreadable {what} ({exc})") from None
    return img


def _load(img: Image.Image, path: Path, what: str) -> None:
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{path}: unreadable or truncated {what} ({exc})") from None


def read_image(path: Path, size: tuple[int, int] | None) -> tuple[np.ndarray, tuple[int, int]]:
    """RGB uint8 (H, W, 3) resized to ``size`` (height, width), and the original (W, H)."""
    img = _open(path, "image")
    original = img.size
    if size is not None and img.format == "JPEG":
        img.draft("RGB", (size[1], size[0]))
    _load(img, path, "image")
    img = img.convert("RGB")
    if size is not None:
        img = resize_image(img, size)
    return np.asarray(img, dtype=np.uint8), original


def resize_image(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    h, w = size
    if img.size == (w, h):
        return img
    shrinking = img.size[0] >= w and img.size[1] >= h
    return img.resize((w, h), Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR)


def read_mask(path: Path, image_size: tuple[int, int] | None = None) -> np.ndarray:
    """Raw single-channel mask values (H, W) at the file's own resolution.

    ``image_size`` (W, H) is the size of the paired image; a different mask size is an error
    rather than a silent resize, because it usually means the wrong pair.
    """
    img = _open(path, "mask")
    _load(img, path, "mask")
    if img.mode not in SINGLE_CHANNEL_MODES:
        raise DataError(
            f"{path}: mask has {len(img.getbands())} channels (mode {img.mode}); expected a "
            "single-channel (grayscale, palette or integer) image"
        )
    if image_size is not None and img.size != tuple(image_size):
        raise DataError(
            f"{path}: mask size {img.size[0]}x{img.size[1]} differs from its image "
            f"{image_size[0]}x{image_size[1]}"
        )
    return np.asarray(img)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of class ids (H, W) uint8 to ``size`` (height, width)."""
    h, w = size
    if mask.shape == (h, w):
        return mask.astype(np.uint8, copy=False)
    img = Image.fromarray(mask.astype(np.uint8))
    return np.asarray(img.resize((w, h), Image.Resampling.NEAREST), dtype=np.uint8)


def binarise(mask: np.ndarray, path: Path) -> np.ndarray:
    """Lesion masks stored as 0/255 (or 0/1): foreground is ``> 127``, or ``== 1`` for 0/1."""
    values = np.unique(mask)
    if values.max(initial=0) <= 1:
        return (mask > 0).astype(np.uint8)
    if mask.dtype != np.uint8 or values.max() > 255:
        raise DataError(f"{path}: mask values up to {values.max()} for a binary 0/255 mask")
    return (mask > 127).astype(np.uint8)


def check_classes(mask: np.ndarray, num_classes: int, path: Path) -> np.ndarray:
    """Map a mask to class ids 0..num_classes-1; 0/255 binary masks become 0/1."""
    values = np.unique(mask)
    if num_classes == 2 and set(values.tolist()) <= {0, 255}:
        return (mask == 255).astype(np.uint8)
    bad = values[values >= num_classes]
    if bad.size:
        shown = ", ".join(str(v) for v in bad[:5].tolist())
        raise DataError(
            f"{path}: mask values {shown} are outside the class set 0..{num_classes - 1}"
        )
    return mask.astype(np.uint8)


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
