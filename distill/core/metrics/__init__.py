"""Segmentation metrics: overlap (IoU, Dice, ...), surface distances (ASSD, HD95), aggregation.

Typical use (the engine's validation loop)::

    metrics = SegmentationMetrics(num_classes=2)
    for images, masks in loader:
        metrics.update(label_map(model(images).logits), masks)
    summary = metrics.aggregate()          # summary["mDice"], summary.per_class, ...
    metrics.reset()
"""

from distill.core.metrics.aggregate import (
    ImageMetrics,
    MetricsSummary,
    SegmentationMetrics,
    compute_image_metrics,
    label_map,
    summarise,
)
from distill.core.metrics.overlap import (
    IGNORE_INDEX,
    ISIC_JACCARD_THRESHOLD,
    confusion_matrix,
    dice_per_class,
    iou_per_class,
    pixel_accuracy,
    sensitivity_per_class,
    specificity_per_class,
    thresholded_jaccard,
)
from distill.core.metrics.surface import (
    SurfaceDistances,
    boundary,
    image_diagonal,
    surface_distances,
)

METRIC_DEFINITIONS = {
    "IoU": "Jaccard index TP / (TP + FP + FN) per image and foreground class.",
    "Dice": "2 TP / (2 TP + FP + FN) per image and foreground class.",
    "mIoU / mDice / mASSD / mHD95": "mean over foreground classes, then over images.",
    "micro IoU / Dice": "from the confusion matrix pooled over all images, then averaged "
    "over foreground classes.",
    "ASSD": "mean of the pooled distances from both boundaries to the other boundary "
    "(medpy >= 0.5 assd, MONAI symmetric=True).",
    "HD95": "larger of the two directed 95th percentiles of boundary distances "
    "(MONAI / DeepMind surface-distance).",
    "Boundary": "mask minus its erosion by a 3x3 cross (connectivity 1); pixels on the image "
    "edge count as boundary (outside is background). Euclidean distance transform (SciPy).",
    "Thresholded Jaccard": "ISIC challenge score: per-image Jaccard below 0.65 counts as 0.",
    "Sensitivity / specificity": "TP / (TP + FN) and TN / (TN + FP); 1 when the denominator is 0.",
    "Pixel accuracy": "fraction of pixels with the correct label, all classes.",
}
EMPTY_MASK_POLICY = (
    "Both prediction and ground truth empty for a class: IoU = Dice = 1, ASSD = HD95 = 0. "
    "Exactly one empty: IoU = Dice = 0 and ASSD = HD95 = the image diagonal "
    "(hypot(H * sy, W * sx)); such cases are counted ('one_empty'). Ground-truth pixels "
    "labelled IGNORE_INDEX (255) count for nothing: left out of the confusion matrix, and "
    "for distances they take the predicted label (neither a hit nor a miss)."
)

__all__ = [
    "EMPTY_MASK_POLICY",
    "IGNORE_INDEX",
    "ISIC_JACCARD_THRESHOLD",
    "METRIC_DEFINITIONS",
    "ImageMetrics",
    "MetricsSummary",
    "SegmentationMetrics",
    "SurfaceDistances",
    "boundary",
    "compute_image_metrics",
    "confusion_matrix",
    "dice_per_class",
    "image_diagonal",
    "iou_per_class",
    "label_map",
    "pixel_accuracy",
    "sensitivity_per_class",
    "specificity_per_class",
    "summarise",
    "surface_distances",
    "thresholded_jaccard",
]
