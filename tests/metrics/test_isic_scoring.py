"""IoU / Dice / thresholded Jaccard and friends against isic-challenge-scoring, per image."""

from __future__ import annotations

import numpy as np
import pytest
from isic_data import isic_mask_files, load_mask, perturb
from metric_shapes import shape_pairs

from distill.core.metrics import compute_image_metrics

isic_confusion = pytest.importorskip("isic_challenge_scoring.confusion")
isic_metrics = pytest.importorskip("isic_challenge_scoring.metrics")

ISIC_FUNCTIONS = {
    "iou": isic_metrics.binary_jaccard,
    "dice": isic_metrics.binary_dice,
    "tjaccard": lambda cm: isic_metrics.binary_threshold_jaccard(cm, threshold=0.65),
    "sensitivity": isic_metrics.binary_sensitivity,
    "specificity": isic_metrics.binary_specificity,
}


def assert_matches_isic(pred_255: np.ndarray, gt_255: np.ndarray, name: str) -> None:
    cm = isic_confusion.create_binary_confusion_matrix(
        truth_binary_values=gt_255 > 128, prediction_binary_values=pred_255 > 128, name=name
    )
    ours = compute_image_metrics(pred_255 > 127, gt_255 > 127, 2, surface=False)
    for metric, isic_fn in ISIC_FUNCTIONS.items():
        assert ours.per_class[metric][0] == pytest.approx(isic_fn(cm), abs=1e-12), (name, metric)
    assert ours.pixel_accuracy == pytest.approx(isic_metrics.binary_accuracy(cm), abs=1e-12)


def test_synthetic_shapes_and_empty_masks_match_isic() -> None:
    pairs = dict(shape_pairs())
    empty = np.zeros_like(pairs["identical"][0])
    pairs.update(both_empty=(empty, empty), pred_empty=(empty, pairs["identical"][1]))
    for name, (pred, gt) in pairs.items():
        assert_matches_isic(pred.astype(np.uint8) * 255, gt.astype(np.uint8) * 255, name)


def test_real_isic_masks_match_isic() -> None:
    for i, path in enumerate(isic_mask_files(10)):
        gt = load_mask(path)
        assert_matches_isic(perturb(gt, i), gt, path.name)
