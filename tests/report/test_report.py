"""Report pieces: tables, curves, overlays and report.md, on real metric summaries."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from distill.core.metrics import SegmentationMetrics
from distill.core.report import (
    curve_keys,
    markdown_table,
    metrics_table,
    overlay_grid,
    overlay_image,
    plot_curves,
    write_report,
)


def _summary(num_classes: int = 3):
    rng = np.random.default_rng(0)
    gt = np.zeros((3, 32, 32), np.int64)
    gt[:, 4:20, 4:20] = 1
    gt[:, 22:30, 10:28] = num_classes - 1
    pred = np.where(rng.random(gt.shape) < 0.05, 0, gt)
    pred[2] = 0  # one image predicts nothing -> one-empty cases counted
    metrics = SegmentationMetrics(num_classes)
    metrics.update(pred, gt, ids=["a", "b", "c"])
    return metrics.aggregate(), gt, pred


def test_markdown_table_shows_mean_plus_minus_std() -> None:
    text = markdown_table(
        [{"name": "unet", "mDice": 0.81234, "mDice_std": 0.1, "params": 7}],
        ["name", ("mDice", "mDice"), ("params", "Params (M)", 1)],
    )
    lines = text.strip().splitlines()
    assert lines[0] == "| name | mDice | Params (M) |"
    assert lines[1] == "| --- | ---: | ---: |"
    assert lines[2] == "| unet | 0.8123 ± 0.1000 | 7 |"
    text_column = markdown_table([{"name": "dual", "overrides": "a=1"}], ["name", "overrides"])
    assert text_column.splitlines()[1] == "| --- | --- |"  # text reads left-aligned


def test_metrics_table_has_means_and_class_rows() -> None:
    summary, _, _ = _summary()
    console = Console(record=True, width=250)
    console.print(metrics_table(summary))
    text = console.export_text()
    assert "mDice" in text and "class_1" in text and "class_2" in text
    assert f"{summary['mDice']:.4f} ± {summary['mDice_std']:.4f}" in text
    assert "exactly one empty" in text


def test_curves_keep_stages_apart_and_skip_spreads_and_counts(tmp_path) -> None:
    rows = [
        {
            "stage": stage,
            "epoch": e,
            "loss/total": 1.0 / e,
            "val/mDice": 0.1 * e,
            "val/mDice_std": 0.3,
            "val/n_images": 40.0,
            "val/one_empty": 2.0,
            "val/mHD95": 9.0,
        }
        for stage in ("teacher:swin", "student")
        for e in (1, 2, 3)
    ]
    assert curve_keys(rows) == {
        "losses": ["loss/total"],
        "validation scores": ["val/mDice"],
        "validation distances (px)": ["val/mHD95"],
    }
    with Image.open(plot_curves(rows, tmp_path / "curves.png")) as image:
        width, height = image.size
    with Image.open(plot_curves(rows[3:], tmp_path / "one.png")) as image:
        assert image.size[0] == width and image.size[1] < 0.6 * height  # one row per stage


def test_plot_curves_writes_png(tmp_path) -> None:
    rows = [
        {
            "epoch": e,
            "loss/task": 1 / (e + 1),
            "loss/mpd": 0.5 / (e + 1),
            "val/mDice": 0.5 + e / 10,
            "val/mIoU": 0.4 + e / 10,
            "val/mASSD": 10 - e,
        }
        for e in range(4)
    ]
    out = plot_curves(rows, tmp_path / "curves.png")
    with Image.open(out) as image:
        assert image.size[0] > image.size[1] > 100  # three panels side by side
    with pytest.raises(ValueError, match="loss/"):
        plot_curves([{"epoch": 0, "lr": 0.1}], tmp_path / "none.png")


def test_overlay_image_draws_gt_green_and_prediction_magenta() -> None:
    image = np.full((40, 40, 3), 100, np.uint8)
    gt = np.zeros((40, 40), np.uint8)
    gt[5:20, 5:20] = 1
    pred = np.zeros_like(gt)
    pred[22:35, 22:35] = 1
    out = overlay_image(image, pred, gt)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert tuple(out[5, 10]) == (0, 255, 0)  # GT contour
    assert tuple(out[22, 28]) == (255, 0, 255)  # prediction contour
    assert tuple(out[0, 0]) == (100, 100, 100)  # untouched background
    tinted = out[28, 28]
    assert tinted[1] < 100 < tinted[0]  # prediction interior tinted magenta


def test_overlay_grid_and_report(tmp_path) -> None:
    summary, gt, pred = _summary(num_classes=3)
    images = np.random.default_rng(1).integers(0, 255, (3, 32, 32, 3), dtype=np.uint8)
    scores = [row["mDice"] for row in summary.per_image]
    grid = overlay_grid(images, gt, pred, scores, ["a", "b", "c"], tmp_path / "ov.png", 3)
    assert grid.is_file()
    curves = plot_curves([{"epoch": 0, "loss/task": 1.0, "val/mDice": 0.5}], tmp_path / "c.png")
    report = write_report(
        tmp_path / "report.md",
        "student:\n  name: mpdnet\n",
        summary,
        summary.per_class,
        curves,
        grid,
        {"parameters (M)": 1.234, "GMACs @ 256x256": 0.5},
    )
    text = report.read_text()
    assert "](c.png)" in text and "](ov.png)" in text
    assert f"{summary['mIoU']:.4f} ± {summary['mIoU_std']:.4f}" in text
    assert "exactly one mask empty: 2" in text  # image c misses both classes
    assert "HD95" in text and "larger of the two directed 95th percentiles" in text
    assert "name: mpdnet" in text and "parameters (M)" in text
