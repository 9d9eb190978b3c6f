"""Per-image metrics, and their aggregation into per-class, mean and dataset-level values.

Averaging order (what the paper's mIoU / mDice / mASSD mean here): each metric is computed
per image and per foreground class, averaged over the foreground classes of the image, then
over images. The per-class table averages each class over images. Dataset-level ("micro")
IoU and Dice pool the confusion matrices of all images first, then average the foreground
classes. Standard deviations are over images (ddof=1). Empty-mask rules: see
:mod:`distill.core.metrics.overlap` and :mod:`distill.core.metrics.surface`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from distill.core.metrics import overlap
from distill.core.metrics.surface import EmptyCase, SurfaceDistances, surface_distances

# Per-class metric keys and the names they carry in summaries ("m" prefix = class mean).
CLASS_METRICS = ("iou", "dice", "assd", "hd95", "sensitivity", "specificity", "tjaccard")
SUMMARY_NAMES = {
    "iou": "mIoU",
    "dice": "mDice",
    "assd": "mASSD",
    "hd95": "mHD95",
    "sensitivity": "sensitivity",
    "specificity": "specificity",
    "tjaccard": "thresholded_jaccard",
}
DISTANCE_METRICS = ("assd", "hd95")


@dataclass
class ImageMetrics:
    """Every metric of one image. ``per_class[m]`` holds one value per foreground class."""

    image_id: str
    confusion: np.ndarray
    pixel_accuracy: float
    per_class: dict[str, np.ndarray]
    empty_cases: list[EmptyCase]

    def mean(self, metric: str) -> float:
        """Mean of ``metric`` over the foreground classes of this image."""
        return float(np.mean(self.per_class[metric]))

    def row(self, class_names: Sequence[str]) -> dict[str, Any]:
        """A flat record for CSV/JSON: class means, then per-class values when C > 2."""
        record: dict[str, Any] = {"image_id": self.image_id, "pixel_accuracy": self.pixel_accuracy}
        for metric in self.per_class:
            record[SUMMARY_NAMES[metric]] = self.mean(metric)
        record["one_empty"] = self.empty_cases.count("one_empty")
        record["both_empty"] = self.empty_cases.count("both_empty")
        if len(class_names) > 1:
            for metric, values in self.per_class.items():
                for name, value in zip(class_names, values, strict=True):
                    record[f"{metric}/{name}"] = float(value)
        return record


def _empty_case(confusion: np.ndarray, cls: int) -> EmptyCase:
    in_gt, in_pred = confusion[cls, :].sum() > 0, confusion[:, cls].sum() > 0
    if not in_gt and not in_pred:
        return "both_empty"
    return "none" if in_gt and in_pred else "one_empty"


def compute_image_metrics(
    pred: np.ndarray,
    target: np.ndarray,
    num_classes: int,
    image_id: str = "",
    spacing: float | Sequence[float] | None = None,
    surface: bool = True,
    connectivity: int = 1,
    jaccard_threshold: float = overlap.ISIC_JACCARD_THRESHOLD,
    ignore_index: int | None = overlap.IGNORE_INDEX,
) -> ImageMetrics:
    """All metrics of one ``(H, W)`` label map against its ground truth.

    ``surface=False`` skips ASSD/HD95 (the costly part) for quick validation passes.
    Target pixels equal to ``ignore_index`` count for nothing (see :func:`_without_ignored`).
    """
    pred, target, confusion = _without_ignored(pred, target, num_classes, ignore_index)
    foreground = slice(1, num_classes)
    iou = overlap.iou_per_class(confusion)[foreground]
    per_class = {
        "iou": iou,
        "dice": overlap.dice_per_class(confusion)[foreground],
        "sensitivity": overlap.sensitivity_per_class(confusion)[foreground],
        "specificity": overlap.specificity_per_class(confusion)[foreground],
        "tjaccard": overlap.thresholded_jaccard(iou, jaccard_threshold),
    }
    if surface:
        distances: list[SurfaceDistances] = [
            surface_distances(pred == c, target == c, spacing, connectivity)
            for c in range(1, num_classes)
        ]
        per_class["assd"] = np.array([d.assd for d in distances])
        per_class["hd95"] = np.array([d.hd95 for d in distances])
    return ImageMetrics(
        image_id=image_id,
        confusion=confusion,
        pixel_accuracy=overlap.pixel_accuracy(confusion),
        per_class={m: per_class[m] for m in CLASS_METRICS if m in per_class},
        empty_cases=[_empty_case(confusion, c) for c in range(1, num_classes)],
    )


def _without_ignored(
    pred: np.ndarray, target: np.ndarray, num_classes: int, ignore_index: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The confusion matrix of the labelled pixels only; for distances the ignored pixels
    take the predicted label, so they add neither a false positive nor a miss."""
    pred, target = np.asarray(pred), np.asarray(target)
    ignored = target == ignore_index if ignore_index is not None else None
    if ignored is None or pred.shape != target.shape or not ignored.any():
        return pred, target, overlap.confusion_matrix(pred, target, num_classes)
    keep = ~ignored
    confusion = overlap.confusion_matrix(pred[keep], target[keep], num_classes)
    return pred, np.where(ignored, pred, target), confusion


def _std(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


@dataclass
class MetricsSummary:
    """The result of :meth:`SegmentationMetrics.aggregate`.

    ``summary`` maps names such as ``mIoU``, ``mDice``, ``mASSD``, ``mHD95``, ``micro_IoU``,
    ``micro_Dice``, ``thresholded_jaccard`` (ISIC's score), ``one_empty`` (count of
    image/class pairs where exactly one mask was empty) to floats; each macro value has a
    ``<name>_std`` beside it. ``summary_obj["mDice"]`` reads ``summary``.
    """

    summary: dict[str, float]
    per_class: list[dict[str, Any]]
    per_image: list[dict[str, Any]] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    spacing: tuple[float, float] | None = None

    def __getitem__(self, key: str) -> float:
        return self.summary[key]

    def __contains__(self, key: object) -> bool:
        return key in self.summary

    def scalars(self, prefix: str = "") -> dict[str, float]:
        """The summary as ``{prefix + name: value}``, e.g. ``prefix="val/"`` for a log row."""
        return {f"{prefix}{k}": float(v) for k, v in self.summary.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: summary, per-class table, per-image rows and the distance unit."""
        return {
            "summary": dict(self.summary),
            "per_class": list(self.per_class),
            "per_image": list(self.per_image),
            "class_names": list(self.class_names),
            "distance_unit": "mm" if self.spacing else "pixels",
            "spacing": list(self.spacing) if self.spacing else None,
        }


def summarise(
    images: Sequence[ImageMetrics],
    class_names: Sequence[str],
    spacing: tuple[float, float] | None = None,
) -> MetricsSummary:
    """Aggregate per-image metrics; ``class_names`` names the foreground classes."""
    if not images:
        raise ValueError("no images to summarise: call update() before aggregate()")
    metrics = [m for m in CLASS_METRICS if m in images[0].per_class]
    stacked = {m: np.stack([img.per_class[m] for img in images]) for m in metrics}  # (N, K)
    pooled = sum(img.confusion for img in images)
    micro_iou = overlap.iou_per_class(pooled)[1:]
    micro_dice = overlap.dice_per_class(pooled)[1:]
    cases = np.array([img.empty_cases for img in images])  # (N, K)

    summary: dict[str, float] = {}
    for m in metrics:
        per_image_means = stacked[m].mean(axis=1)
        summary[SUMMARY_NAMES[m]] = float(per_image_means.mean())
        summary[f"{SUMMARY_NAMES[m]}_std"] = _std(per_image_means)
    accuracy = np.array([img.pixel_accuracy for img in images])
    summary["pixel_accuracy"] = float(accuracy.mean())
    summary["pixel_accuracy_std"] = _std(accuracy)
    summary["micro_IoU"] = float(micro_iou.mean())
    summary["micro_Dice"] = float(micro_dice.mean())
    summary["n_images"] = float(len(images))
    summary["one_empty"] = float((cases == "one_empty").sum())
    summary["both_empty"] = float((cases == "both_empty").sum())

    per_class = []
    for k, name in enumerate(class_names):
        row: dict[str, Any] = {"class": name, "class_index": k + 1}
        for m in metrics:
            row[m] = float(stacked[m][:, k].mean())
            row[f"{m}_std"] = _std(stacked[m][:, k])
        row["micro_iou"] = float(micro_iou[k])
        row["micro_dice"] = float(micro_dice[k])
        row["one_empty"] = int((cases[:, k] == "one_empty").sum())
        row["both_empty"] = int((cases[:, k] == "both_empty").sum())
        per_class.append(row)
    return MetricsSummary(
        summary=summary,
        per_class=per_class,
        per_image=[img.row(class_names) for img in images],
        class_names=list(class_names),
        spacing=spacing,
    )


def label_map(scores: torch.Tensor) -> torch.Tensor:
    """Class per pixel from (B, C, H, W) scores, the first of ties as ``argmax`` gives it;
    ``max(1).indices`` because on a CPU ``argmax`` over the class axis is ~10x slower
    (0.40 s vs 0.04 s for 46 two-class 256x256 maps)."""
    return scores.max(dim=1).indices


def _as_label_batch(x: np.ndarray | torch.Tensor, what: str) -> np.ndarray:
    """Labels (H, W) / (B, H, W) / (B, 1, H, W), or float scores (B, C, H, W) -> (B, H, W)."""
    if isinstance(x, torch.Tensor):
        if x.ndim == 4 and x.shape[1] > 1 and x.is_floating_point():
            x = label_map(x)
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[1] > 1 and np.issubdtype(x.dtype, np.floating):
        x = x.argmax(axis=1)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"{what} must be label maps (B, H, W) or scores (B, C, H, W)")
    return x


class SegmentationMetrics:
    """MONAI-style accumulator: ``update`` per batch, ``aggregate`` at the end, ``reset``.

    ``update(pred, target)`` takes integer label maps (numpy or torch; (B, H, W), (H, W) or
    (B, 1, H, W)); float scores (B, C, H, W) are arg-maxed. Each image is scored when it
    arrives, so only its small confusion matrix and per-class values are kept. Target
    pixels labelled ``ignore_index`` (default :data:`IGNORE_INDEX`) count for nothing.
    """

    def __init__(
        self,
        num_classes: int,
        class_names: Sequence[str] | None = None,
        spacing: float | Sequence[float] | None = None,
        surface: bool = True,
        connectivity: int = 1,
        jaccard_threshold: float = overlap.ISIC_JACCARD_THRESHOLD,
        ignore_index: int | None = overlap.IGNORE_INDEX,
    ) -> None:
        from distill.core.metrics.surface import normalise_spacing

        if num_classes < 2:
            raise ValueError("num_classes counts background, so it must be at least 2")
        names = list(class_names) if class_names is not None else None
        if names is not None and len(names) == num_classes:
            names = names[1:]  # background given too
        if names is None:
            names = (
                ["foreground"]
                if num_classes == 2
                else [f"class_{c}" for c in range(1, num_classes)]
            )
        if len(names) != num_classes - 1:
            raise ValueError(f"need {num_classes - 1} foreground class names, got {len(names)}")
        self.num_classes = num_classes
        self.class_names = names
        self.spacing = normalise_spacing(spacing)
        self.surface = surface
        self.connectivity = connectivity
        self.jaccard_threshold = jaccard_threshold
        self.ignore_index = ignore_index
        self.images: list[ImageMetrics] = []

    def __len__(self) -> int:
        return len(self.images)

    def update(
        self,
        pred: np.ndarray | torch.Tensor,
        target: np.ndarray | torch.Tensor,
        ids: Sequence[str] | None = None,
    ) -> list[ImageMetrics]:
        """Score a batch; returns its per-image metrics (also kept for ``aggregate``)."""
        preds, targets = _as_label_batch(pred, "pred"), _as_label_batch(target, "target")
        if preds.shape != targets.shape:
            raise ValueError(f"pred shape {preds.shape} differs from target shape {targets.shape}")
        if ids is not None and len(ids) != len(preds):
            raise ValueError(f"got {len(ids)} ids for a batch of {len(preds)}")
        start = len(self.images)
        batch = [
            compute_image_metrics(
                p,
                t,
                self.num_classes,
                image_id=str(ids[i]) if ids is not None else f"{start + i:05d}",
                spacing=self.spacing,
                surface=self.surface,
                connectivity=self.connectivity,
                jaccard_threshold=self.jaccard_threshold,
                ignore_index=self.ignore_index,
            )
            for i, (p, t) in enumerate(zip(preds, targets, strict=True))
        ]
        self.images.extend(batch)
        return batch

    def aggregate(self) -> MetricsSummary:
        """Means, standard deviations, per-class table, micro values and empty-case counts."""
        return summarise(self.images, self.class_names, self.spacing)

    def reset(self) -> None:
        self.images.clear()
