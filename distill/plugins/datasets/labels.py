"""Mask values to class ids: the rules every dataset and ``distill score`` share.

A mask file is trusted as a label map only when its values are clean: ``{0, 255}`` (or
``{0, 1}``, ``{0, 65535}``) is binary, ``0..K-1`` with ``K <= MAX_INFERRED_CLASSES`` is a
K-class label map. Anything else (an anti-aliased 128 band, JPEG noise, 255 meaning
"ignore") is an error naming the file and its values, because guessing would invent
hundreds of empty classes, each scoring Dice 1. The fixes are explicit: declare
``num_classes``, an ``ignore_index`` (the file value of pixels that count for nothing;
stored as :data:`IGNORE_INDEX` in the cache), or ``binarise`` (foreground = value above a
threshold, for soft, anti-aliased or JPEG masks).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from distill.core.errors import DataError
from distill.core.metrics import IGNORE_INDEX

MAX_INFERRED_CLASSES = 32
BINARY_SETS = ({0, 1}, {0, 255}, {0, 65535})
FIX_HINT = (
    "declare num_classes (and ignore_index=255 if 255 marks pixels to ignore), or set "
    "binarise=true for anti-aliased, soft or JPEG masks"
)


def _shown(values: Iterable[int], limit: int = 8) -> str:
    values = sorted(int(v) for v in values)
    text = ", ".join(map(str, values[:limit]))
    return f"{{{text}{', ...' if len(values) > limit else ''}}} ({len(values)} values)"


def _jpeg_note(path: Path) -> str:
    return (
        " (JPEG compression changes mask values)"
        if path.suffix.lower() in (".jpg", ".jpeg")
        else ""
    )


def is_binary(values: set[int]) -> bool:
    return any(values <= s for s in BINARY_SETS)


def mask_values(raw: np.ndarray, ignore_index: int | None) -> set[int]:
    """The distinct values of a mask, the ignore value left out."""
    values = {int(v) for v in np.unique(raw)}
    return values - {ignore_index} if ignore_index is not None else values


def infer_num_classes(
    masks: Iterable[tuple[Path, set[int]]], ignore_index: int | None = None
) -> int:
    """Classes from every mask's values: binary sets give 2, label maps ``max + 1``."""
    union: set[int] = set()
    binary_file = labels_file = None
    for path, values in masks:
        if not values:
            continue
        if is_binary(values) and max(values) > 1:
            binary_file = binary_file or path
        elif max(values) < MAX_INFERRED_CLASSES:
            labels_file = labels_file or path
        else:
            raise DataError(
                f"{path}: mask values {_shown(values)} are neither a binary 0/255 mask nor a "
                f"label map 0..K-1 (K <= {MAX_INFERRED_CLASSES}){_jpeg_note(path)}; {FIX_HINT}"
            )
        union |= values
    if binary_file and labels_file and not is_binary(union):
        raise DataError(
            f"{binary_file}: a 0/255 binary mask, but {labels_file} is a label map "
            f"(all values {_shown(union)}); {FIX_HINT}"
        )
    if is_binary(union):
        return 2
    return max(union) + 1


def to_labels(
    raw: np.ndarray,
    path: Path,
    num_classes: int,
    ignore_index: int | None = None,
    binarise: bool = False,
    threshold: float | None = None,
) -> np.ndarray:
    """uint8 class ids (H, W) in ``0..num_classes-1``, :data:`IGNORE_INDEX` where the file
    holds ``ignore_index``. Values outside the class set are an error, never clipped."""
    raw = np.asarray(raw)
    ignored = raw == ignore_index if ignore_index is not None else None
    if binarise:
        if num_classes != 2:
            raise DataError(f"{path}: binarise needs num_classes=2, got {num_classes}")
        top = np.iinfo(raw.dtype).max if np.issubdtype(raw.dtype, np.integer) else 1.0
        cut = threshold if threshold is not None else top / 2
        labels = (raw > cut).astype(np.uint8)
    else:
        labels = _label_map(raw, path, num_classes, ignore_index)
    if ignored is not None and ignored.any():
        labels[ignored] = IGNORE_INDEX
    return labels


def _label_map(raw: np.ndarray, path: Path, num_classes: int, ignore_index: int | None):
    values = mask_values(raw, ignore_index)
    if num_classes == 2 and is_binary(values) and max(values, default=0) > 1:
        return (raw == max(values)).astype(np.uint8)
    bad = {v for v in values if v < 0 or v >= num_classes}
    if bad:
        raise DataError(
            f"{path}: mask values {_shown(bad)} are outside the class set 0..{num_classes - 1}"
            f"{_jpeg_note(path)}; set ignore_index if one of them marks pixels to ignore, "
            "or binarise=true for anti-aliased, soft or JPEG masks"
        )
    return raw.astype(np.uint8)
