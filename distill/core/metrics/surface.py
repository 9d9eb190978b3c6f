"""Boundary distances between two binary masks: ASSD and HD95.

Definitions (these are what ``report.md`` states):

* **Boundary**: the mask minus its erosion by a 3x3 structuring element (the cross,
  connectivity 1, by default, as in MONAI and medpy; ``connectivity=2`` uses the full 3x3
  square). Pixels outside the image count as background, so foreground pixels on the image
  edge are boundary pixels.
* **Distances**: for each boundary pixel of one mask, the Euclidean distance to the nearest
  boundary pixel of the other (SciPy's exact Euclidean distance transform), in pixels, or in
  millimetres when a pixel ``spacing`` is given.
* **ASSD**: the mean of the pooled distances from both boundaries (medpy >= 0.5 ``assd``,
  MONAI ``compute_average_surface_distance(symmetric=True)``).
* **HD95**: the larger of the two directed 95th percentiles (linear interpolation), as in
  MONAI ``compute_hausdorff_distance(percentile=95)`` and DeepMind's surface-distance.

Empty-mask policy: both masks empty -> both distances 0; exactly one empty -> both distances
set to the image diagonal (``hypot(H * sy, W * sx)``), and the case is flagged so that it is
counted in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import ndimage

EmptyCase = Literal["none", "both_empty", "one_empty"]


@dataclass(frozen=True)
class SurfaceDistances:
    """ASSD and HD95 of one mask pair, and which empty-mask rule (if any) produced them."""

    assd: float
    hd95: float
    empty_case: EmptyCase = "none"


def normalise_spacing(spacing: float | Sequence[float] | None) -> tuple[float, float] | None:
    """``None``, one isotropic value, or ``(row, column)`` spacing -> a 2-tuple or ``None``."""
    if spacing is None:
        return None
    values = (float(spacing),) * 2 if np.isscalar(spacing) else tuple(float(s) for s in spacing)
    if len(values) != 2 or min(values) <= 0:
        raise ValueError(f"spacing must be one positive value or two (rows, cols), got {spacing}")
    return values  # type: ignore[return-value]


def image_diagonal(shape: tuple[int, ...], spacing: float | Sequence[float] | None = None) -> float:
    """The distance given to a pair where exactly one mask is empty: the image's diagonal."""
    sy, sx = normalise_spacing(spacing) or (1.0, 1.0)
    return float(np.hypot(shape[0] * sy, shape[1] * sx))


def boundary(mask: np.ndarray, connectivity: int = 1) -> np.ndarray:
    """Foreground pixels with a background neighbour; the image border counts as background.

    Equivalent to ``mask & ~binary_erosion(mask, generate_binary_structure(2, connectivity))``
    with background padding, written as shifted slices of a padded array (about 10x faster
    than SciPy's generic erosion on 512x512 masks).
    """
    mask = np.asarray(mask, dtype=bool)
    if connectivity not in (1, 2):
        raise ValueError(
            f"connectivity must be 1 (3x3 cross) or 2 (3x3 square), got {connectivity}"
        )
    padded = np.pad(mask, 1, constant_values=False)
    h, w = mask.shape
    eroded = mask.copy()
    offsets = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if connectivity == 2:
        offsets += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    for dy, dx in offsets:
        eroded &= padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
    return mask & ~eroded


def _union_box(a: np.ndarray, b: np.ndarray) -> tuple[slice, slice]:
    """Bounding box of both edge sets: distances are unchanged by cropping to it, and the
    distance transforms get much cheaper for small structures in large images."""
    rows = np.flatnonzero(a.any(axis=1) | b.any(axis=1))
    cols = np.flatnonzero(a.any(axis=0) | b.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def directed_distances(
    pred_edges: np.ndarray, gt_edges: np.ndarray, spacing: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances pred-boundary -> gt-boundary and gt-boundary -> pred-boundary (both non-empty)."""
    box = _union_box(pred_edges, gt_edges)
    pred_edges, gt_edges = pred_edges[box], gt_edges[box]
    to_gt = ndimage.distance_transform_edt(~gt_edges, sampling=spacing)
    to_pred = ndimage.distance_transform_edt(~pred_edges, sampling=spacing)
    return to_gt[pred_edges], to_pred[gt_edges]


def surface_distances(
    pred: np.ndarray,
    gt: np.ndarray,
    spacing: float | Sequence[float] | None = None,
    connectivity: int = 1,
) -> SurfaceDistances:
    """ASSD and HD95 of a binary prediction against a binary ground truth (see module doc)."""
    pred = np.asarray(pred, dtype=bool)
    gt = np.asarray(gt, dtype=bool)
    if pred.shape != gt.shape or pred.ndim != 2:
        raise ValueError(f"need two 2D masks of one shape, got {pred.shape} and {gt.shape}")
    has_pred, has_gt = bool(pred.any()), bool(gt.any())
    if not has_pred and not has_gt:
        return SurfaceDistances(0.0, 0.0, "both_empty")
    if has_pred != has_gt:
        diagonal = image_diagonal(gt.shape, spacing)
        return SurfaceDistances(diagonal, diagonal, "one_empty")
    pred_to_gt, gt_to_pred = directed_distances(
        boundary(pred, connectivity), boundary(gt, connectivity), normalise_spacing(spacing)
    )
    assd = float(np.concatenate([pred_to_gt, gt_to_pred]).mean())
    hd95 = float(max(np.percentile(pred_to_gt, 95), np.percentile(gt_to_pred, 95)))
    return SurfaceDistances(assd, hd95)
