"""Prediction overlays: contours of ground truth and prediction drawn on the image.

Binary tasks: ground truth green, prediction magenta. Multi-class: one colour pair per class
(ground truth in the first colour, prediction in the second), listed in the figure legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from distill.core.metrics import boundary  # noqa: E402

GT_GREEN = (0, 255, 0)
PRED_MAGENTA = (255, 0, 255)
# (ground truth, prediction) per foreground class for multi-class tasks.
CLASS_COLOURS = [
    (GT_GREEN, PRED_MAGENTA),
    ((0, 255, 255), (255, 128, 0)),
    ((255, 255, 0), (255, 0, 0)),
    ((128, 255, 128), (160, 0, 255)),
    ((0, 128, 255), (255, 105, 180)),
]


def _colours(cls: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    return CLASS_COLOURS[(cls - 1) % len(CLASS_COLOURS)]


def _contour(mask: np.ndarray, thickness: int) -> np.ndarray:
    edges = boundary(mask)
    for _ in range(thickness - 1):  # thicken inwards so the contour stays on the object
        edges |= boundary(mask & ~edges)
    return edges


def _as_rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=2)
    if image.dtype != np.uint8:
        scale = 255.0 if image.max() <= 1.0 else 1.0
        image = np.clip(image * scale, 0, 255).astype(np.uint8)
    return image[..., :3].copy()


def overlay_image(
    image: np.ndarray,
    pred: np.ndarray,
    gt: np.ndarray | None = None,
    num_classes: int | None = None,
    fill_alpha: float = 0.25,
) -> np.ndarray:
    """Image (H, W, 3) with the prediction tinted and outlined, and the GT outlined if given."""
    out = _as_rgb(image).astype(np.float32)
    pred = np.asarray(pred)
    if pred.shape != out.shape[:2] or (gt is not None and np.shape(gt) != pred.shape):
        raise ValueError(
            f"image {out.shape[:2]}, prediction {pred.shape} and ground truth "
            f"{None if gt is None else np.shape(gt)} must share height and width"
        )
    top = int(max(pred.max(), 0 if gt is None else np.max(gt)))
    classes = range(1, max(num_classes or 0, top + 1, 2))
    thickness = max(1, round(min(pred.shape) / 256))
    for cls in classes:
        gt_colour, pred_colour = _colours(cls)
        region = pred == cls
        out[region] = (1 - fill_alpha) * out[region] + fill_alpha * np.array(pred_colour)
        out[_contour(region, thickness)] = pred_colour
        if gt is not None:
            out[_contour(np.asarray(gt) == cls, thickness)] = gt_colour
    return out.astype(np.uint8)


def pick_best_and_worst(scores: Sequence[float], per_row: int) -> tuple[list[int], list[int]]:
    """Indices of the ``per_row`` highest and lowest scores (no image in both rows)."""
    order = list(np.argsort(np.asarray(scores, dtype=float), kind="stable"))
    k = min(per_row, max(1, len(order) // 2)) if len(order) > 1 else len(order)
    best = order[::-1][:k]
    worst = [i for i in order if i not in best][:k]
    return [int(i) for i in best], [int(i) for i in worst]


def overlay_grid(
    images: np.ndarray,
    gts: np.ndarray,
    preds: np.ndarray,
    scores: list[float],
    titles: list[str],
    out_png: str | Path,
    num_classes: int,
    per_row: int = 4,
    score_name: str = "Dice",
) -> Path:
    """A figure with the best cases in the top row and the worst in the bottom row."""
    if not (len(images) == len(gts) == len(preds) == len(scores) == len(titles)) or not len(images):
        raise ValueError("images, gts, preds, scores and titles must be non-empty, equal length")
    best, worst = pick_best_and_worst(scores, per_row)
    rows = [("best", best)] + ([("worst", worst)] if worst else [])
    cols = max(len(best), len(worst))
    fig, axes = plt.subplots(len(rows), cols, figsize=(3.2 * cols, 3.4 * len(rows)), squeeze=False)
    for r, (label, indices) in enumerate(rows):
        for c in range(cols):
            ax = axes[r][c]
            ax.axis("off")
            if c >= len(indices):
                continue
            i = indices[c]
            ax.imshow(overlay_image(images[i], preds[i], gts[i], num_classes))
            ax.set_title(f"{label}: {titles[i]}\n{score_name} {scores[i]:.3f}", fontsize=8)
    handles = []
    for cls in range(1, max(num_classes, 2)):
        gt_colour, pred_colour = _colours(cls)
        suffix = "" if num_classes <= 2 else f" class {cls}"
        handles.append(Patch(color=np.array(gt_colour) / 255, label=f"ground truth{suffix}"))
        handles.append(Patch(color=np.array(pred_colour) / 255, label=f"prediction{suffix}"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
