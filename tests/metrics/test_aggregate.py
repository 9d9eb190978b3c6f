"""The accumulator: averaging order, micro values, empty-case counts, input forms."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from distill.core.metrics import (
    SegmentationMetrics,
    compute_image_metrics,
    confusion_matrix,
    dice_per_class,
    iou_per_class,
    label_map,
)


def test_overlap_values_on_a_hand_counted_example() -> None:
    target = np.array([[0, 1, 1], [0, 1, 2], [2, 2, 0]])
    pred = np.array([[0, 1, 0], [1, 1, 2], [2, 0, 0]])
    cm = confusion_matrix(pred, target, 3)
    np.testing.assert_array_equal(cm, [[2, 1, 0], [1, 2, 0], [1, 0, 2]])
    # class 1: TP 2, FP 1, FN 1 -> IoU 2/4, Dice 4/6; class 2: TP 2, FP 0, FN 1
    np.testing.assert_allclose(iou_per_class(cm)[1:], [0.5, 2 / 3])
    np.testing.assert_allclose(dice_per_class(cm)[1:], [2 / 3, 0.8])
    image = compute_image_metrics(pred, target, 3)
    assert image.pixel_accuracy == pytest.approx(6 / 9)
    np.testing.assert_allclose(image.per_class["sensitivity"], [2 / 3, 2 / 3])
    np.testing.assert_allclose(image.per_class["specificity"], [5 / 6, 1.0])


def test_labels_out_of_range_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        confusion_matrix(np.array([[0, 2]]), np.array([[0, 1]]), 2)


def test_mean_over_classes_then_images_and_micro_beside_it() -> None:
    gt = np.zeros((2, 10, 10), np.int64)
    gt[0, :5, :5] = 1  # class 1 in image 0 only, class 2 large in image 1
    gt[1, :, 5:] = 2
    pred = gt.copy()
    pred[0, :5, :4] = 1
    pred[0, :5, 4] = 0  # image 0, class 1: IoU 20/25; class 2 absent in both -> 1
    pred[1, :, 5:8] = 2
    pred[1, :, 8:] = 0  # image 1, class 2: IoU 30/50; class 1 absent in both -> 1
    metrics = SegmentationMetrics(3, class_names=["bg", "a", "b"])
    metrics.update(pred, gt, ids=["x", "y"])
    summary = metrics.aggregate()
    expected_per_image = [(0.8 + 1.0) / 2, (1.0 + 0.6) / 2]
    assert summary["mIoU"] == pytest.approx(np.mean(expected_per_image))
    assert summary["mIoU_std"] == pytest.approx(np.std(expected_per_image, ddof=1))
    assert [r["class"] for r in summary.per_class] == ["a", "b"]
    assert summary.per_class[0]["iou"] == pytest.approx(0.9)
    assert summary.per_class[1]["both_empty"] == 1
    # micro: class a pooled IoU 20/25, class b 30/50
    assert summary["micro_IoU"] == pytest.approx((0.8 + 0.6) / 2)
    assert summary["both_empty"] == 2 and summary["one_empty"] == 0
    assert summary.per_image[0]["image_id"] == "x"
    assert summary.per_image[1]["iou/b"] == pytest.approx(0.6)
    assert summary["mASSD"] == pytest.approx(np.mean([r["mASSD"] for r in summary.per_image]))
    json.dumps(summary.to_dict())


def test_one_empty_case_counts_and_diagonal() -> None:
    gt = np.zeros((1, 30, 40), np.uint8)
    gt[0, 5:10, 5:10] = 1
    metrics = SegmentationMetrics(2, spacing=0.5)
    metrics.update(np.zeros_like(gt), gt)
    summary = metrics.aggregate()
    assert summary["mIoU"] == summary["mDice"] == 0.0
    assert summary["mASSD"] == summary["mHD95"] == pytest.approx(25.0)  # hypot(15, 20)
    assert summary["one_empty"] == 1
    assert summary.to_dict()["distance_unit"] == "mm"


def test_torch_logits_and_labels_give_the_same_result_and_reset_clears() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 16, 16, generator=gen)
    target = torch.randint(0, 3, (2, 1, 16, 16), generator=gen)
    from_logits = SegmentationMetrics(3)
    from_logits.update(logits, target)
    from_labels = SegmentationMetrics(3)
    from_labels.update(logits.argmax(1).numpy(), target[:, 0].numpy())
    assert from_logits.aggregate().summary == from_labels.aggregate().summary
    assert len(from_logits) == 2
    from_logits.reset()
    assert len(from_logits) == 0
    with pytest.raises(ValueError, match="update"):
        from_logits.aggregate()


def test_thresholded_jaccard_zeroes_low_scores() -> None:
    gt = np.zeros((2, 10, 10), np.uint8)
    gt[:, :, :5] = 1
    pred = gt.copy()
    pred[1, :, 3:5] = 0  # IoU 0.6 < 0.65 -> 0
    metrics = SegmentationMetrics(2, surface=False)
    metrics.update(pred, gt)
    summary = metrics.aggregate()
    assert summary["mIoU"] == pytest.approx(0.8)
    assert summary["thresholded_jaccard"] == pytest.approx(0.5)
    assert "mASSD" not in summary


@pytest.mark.parametrize("classes", [2, 3])
def test_label_map_is_argmax_with_ties_and_in_every_layout(classes):
    scores = torch.randint(0, 3, (4, classes, 16, 12)).float()  # many exact ties
    expected = scores.argmax(dim=1)
    assert torch.equal(label_map(scores), expected)
    assert torch.equal(label_map(scores.contiguous(memory_format=torch.channels_last)), expected)
    assert torch.equal(label_map(scores.bfloat16()), expected)
