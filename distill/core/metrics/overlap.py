"""Overlap metrics from a per-image confusion matrix: IoU, Dice, accuracy, sensitivity, specificity.

Everything here is derived from one ``(C, C)`` confusion matrix per image (rows: ground truth,
columns: prediction), so per-image, per-class and dataset-level (micro) values share one code
path and cannot drift apart.

Empty-mask policy (the same as the ISIC challenge's scorer and MONAI's ``ignore_empty=False``):

* class absent from both prediction and ground truth: IoU = Dice = 1;
* class absent from exactly one of them: IoU = Dice = 0 (this follows from the formulas);
* sensitivity with no ground-truth pixels of the class, and specificity with no negative
  pixels, are scored 1 (there was nothing to miss).
"""

from __future__ import annotations

import numpy as np

ISIC_JACCARD_THRESHOLD = 0.65
# Ground-truth label of pixels that count for nothing (unlabelled, border, nnU-Net "ignore"):
# left out of every confusion matrix, loss and distance. Class ids stay below it (<= 254).
IGNORE_INDEX = 255


def confusion_matrix(pred: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts: ``[t, p]`` = pixels of true class ``t`` predicted as ``p``."""
    pred = np.asarray(pred)
    target = np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from target shape {target.shape}")
    for name, labels in (("prediction", pred), ("target", target)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"{name} labels must lie in [0, {num_classes - 1}], "
                f"got range [{labels.min()}, {labels.max()}]"
            )
    if num_classes <= 16:
        # C^2 boolean ANDs + popcounts are ~10x faster than bincount for the usual 2-4 classes.
        pred_is = [pred == c for c in range(num_classes)]
        target_is = [target == c for c in range(num_classes)]
        return np.array(
            [[np.count_nonzero(t & p) for p in pred_is] for t in target_is], dtype=np.int64
        )
    flat = target.astype(np.int64).ravel() * num_classes + pred.astype(np.int64).ravel()
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def class_counts(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """One-vs-rest TP, FP, FN, TN per class (arrays of length C) from a confusion matrix."""
    confusion = np.asarray(confusion, dtype=np.int64)
    tp = np.diag(confusion)
    fp = confusion.sum(axis=0) - tp
    fn = confusion.sum(axis=1) - tp
    tn = confusion.sum() - tp - fp - fn
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _ratio(numerator: np.ndarray, denominator: np.ndarray, when_empty: float) -> np.ndarray:
    numerator = numerator.astype(np.float64)
    denominator = denominator.astype(np.float64)
    out = np.full(numerator.shape, when_empty, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """Jaccard index TP / (TP + FP + FN) per class; 1 when the class is absent from both."""
    c = class_counts(confusion)
    return _ratio(c["tp"], c["tp"] + c["fp"] + c["fn"], 1.0)


def dice_per_class(confusion: np.ndarray) -> np.ndarray:
    """Dice 2TP / (2TP + FP + FN) per class; 1 when the class is absent from both."""
    c = class_counts(confusion)
    return _ratio(2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"], 1.0)


def sensitivity_per_class(confusion: np.ndarray) -> np.ndarray:
    """Recall TP / (TP + FN) per class; 1 when the ground truth has no pixel of the class."""
    c = class_counts(confusion)
    return _ratio(c["tp"], c["tp"] + c["fn"], 1.0)


def specificity_per_class(confusion: np.ndarray) -> np.ndarray:
    """TN / (TN + FP) per class; 1 when every pixel belongs to the class."""
    c = class_counts(confusion)
    return _ratio(c["tn"], c["tn"] + c["fp"], 1.0)


def pixel_accuracy(confusion: np.ndarray) -> float:
    """Fraction of pixels whose predicted label equals the true label (all classes)."""
    total = float(np.sum(confusion))
    return float(np.trace(confusion)) / total if total > 0 else 1.0


def thresholded_jaccard(iou: np.ndarray, threshold: float = ISIC_JACCARD_THRESHOLD) -> np.ndarray:
    """ISIC 2017/2018's score: a per-image Jaccard below ``threshold`` counts as 0."""
    iou = np.asarray(iou, dtype=np.float64)
    return np.where(iou >= threshold, iou, 0.0)
