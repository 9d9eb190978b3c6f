"""``folder`` masks that are not label maps (#23.1), and the ignore label end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from format_writers import write_image

import distill
from distill.core.config import LossConfig
from distill.core.engine.losses import task_loss
from distill.core.errors import DataError
from distill.core.metrics import IGNORE_INDEX, SegmentationMetrics


def lesion(i: int, h: int = 24, w: int = 32) -> np.ndarray:
    ids = np.zeros((h, w), np.uint8)
    ids[4 + i % 4 : 14 + i % 4, 6:20] = 1
    return ids


def folder(root, n=6, mask=lambda ids, i: ids * 255, ext="png", image_ext="png"):
    """``n`` gray images and masks written by ``mask(ids, i)``; returns the class ids."""
    truth = []
    for i in range(n):
        ids = lesion(i)
        write_image(root / "images" / f"c{i}.{image_ext}", (ids * 200 + 20).astype(np.uint8))
        write_image(root / "masks" / f"c{i}.{ext}", mask(ids, i), quality=75)
        truth.append(ids)
    return truth


def antialiased(ids, i):
    out = ids * 255
    if i == 3:  # one mask with an anti-aliased band along its top edge (rows 7..16)
        out[6, 6:20] = 100
    return out.astype(np.uint8)


def test_one_antialiased_mask_stops_with_file_and_values(tmp_path):
    folder(tmp_path, mask=antialiased)
    with pytest.raises(DataError) as info:
        distill.create("dataset", "folder", data_root=tmp_path)
    message = str(info.value)
    assert "c3.png: mask values {0, 100, 255}" in message
    assert "num_classes" in message and "binarise" in message


def test_binarise_handles_the_antialiased_band(tmp_path):
    truth = folder(tmp_path, mask=antialiased)
    ds = distill.create("dataset", "folder", data_root=tmp_path, binarise=True, test_fraction=0.0)
    assert ds.num_classes == 2
    arrays = {s: ds.load(s, (24, 32)) for s in ("train", "val")}
    for split in arrays.values():
        for mask, stem in zip(split.masks, split.ids, strict=True):
            np.testing.assert_array_equal(mask, truth[int(stem[1:])])


def test_jpeg_masks_are_named_then_binarised(tmp_path):
    truth = folder(tmp_path, ext="jpg")
    with pytest.raises(DataError, match=r"c\d.jpg: mask values .*JPEG compression"):
        distill.create("dataset", "folder", data_root=tmp_path)
    ds = distill.create("dataset", "folder", data_root=tmp_path, binarise=True, test_fraction=0.0)
    train = ds.load("train", (24, 32))
    agree = np.mean(
        [(m == truth[int(s[1:])]).mean() for m, s in zip(train.masks, train.ids, strict=True)]
    )
    assert agree > 0.97


def test_255_as_ignore_needs_a_declaration(tmp_path):
    def with_border(ids, i):
        out = ids.copy()
        out[0, :] = 255  # unlabelled border
        return out

    folder(tmp_path, mask=with_border)
    with pytest.raises(DataError, match=r"c0.png: mask values \{0, 1, 255\}.*ignore_index=255"):
        distill.create("dataset", "folder", data_root=tmp_path)
    ds = distill.create("dataset", "folder", data_root=tmp_path, ignore_index=255)
    assert ds.num_classes == 2
    masks = ds.load("train", (24, 32)).masks
    assert set(np.unique(masks).tolist()) == {0, 1, IGNORE_INDEX}
    assert (masks[:, 0, :] == IGNORE_INDEX).all()


def test_16bit_0_65535_masks_are_binary_not_65536_classes(tmp_path):
    truth = folder(tmp_path, mask=lambda ids, i: ids.astype(np.uint16) * 65535)
    ds = distill.create("dataset", "folder", data_root=tmp_path)
    assert ds.num_classes == 2 and ds.in_channels == 1
    train = ds.load("train", (24, 32))
    for mask, stem in zip(train.masks, train.ids, strict=True):
        np.testing.assert_array_equal(mask, truth[int(stem[1:])])


def test_declared_classes_with_a_stray_value_names_it(tmp_path):
    folder(tmp_path, mask=lambda ids, i: ids * (2 if i == 4 else 1))
    with pytest.raises(DataError, match=r"c4.png: mask values \{2\}.*outside the class set 0..1"):
        ds = distill.create("dataset", "folder", data_root=tmp_path, num_classes=2)
        [ds.load(s, (24, 32)) for s in ds.split_names()]


def test_mixing_binary_and_label_masks_is_named(tmp_path):
    folder(tmp_path, mask=lambda ids, i: ids * (255 if i == 0 else 1))
    with pytest.raises(
        DataError, match=r"c0.png: a 0/255 binary mask, but \S*c1.png is a label map"
    ):
        distill.create("dataset", "folder", data_root=tmp_path)


def test_losses_give_ignored_pixels_no_weight():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 8, 8, requires_grad=True)
    target = torch.randint(0, 3, (2, 8, 8))
    ignored = target.clone()
    ignored[:, :4] = IGNORE_INDEX
    cfg = LossConfig(ce=1.0, dice=1.0)
    terms = task_loss(logits, ignored, cfg)
    sum(terms.values()).backward()
    assert logits.grad[:, :, :4].abs().max() == 0  # no gradient from ignored pixels
    kept = task_loss(logits[:, :, 4:], target[:, 4:], cfg)
    for name in ("ce", "dice"):
        assert terms[name].item() == pytest.approx(kept[name].item(), rel=1e-5)
    everything_ignored = torch.full_like(target, IGNORE_INDEX)
    assert torch.isfinite(task_loss(logits, everything_ignored, cfg)["ce"])


def test_metrics_give_ignored_pixels_no_weight():
    target = np.zeros((16, 16), np.int64)
    target[4:12, 4:12] = 1
    pred = target.copy()
    pred[0:3, :] = 1  # wrong, but only where the truth is ignored
    ignored = target.copy()
    ignored[0:3, :] = IGNORE_INDEX
    metrics = SegmentationMetrics(2)
    metrics.update(pred, ignored)
    summary = metrics.aggregate()
    assert summary["mDice"] == 1.0 and summary["mASSD"] == 0.0
    assert summary["pixel_accuracy"] == 1.0
    strict = SegmentationMetrics(2)
    strict.update(pred, target)
    assert strict.aggregate()["mDice"] < 1.0
