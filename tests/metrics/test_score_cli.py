"""`distill score` on real ISIC masks (GT vs perturbed GT), checked against isic-challenge-scoring."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from isic_data import isic_mask_files, load_mask, perturb
from PIL import Image

from distill.cli.app import run_app


def _write(path: Path, array: np.ndarray) -> None:
    Image.fromarray(array.astype(np.uint8)).save(path)


@pytest.fixture()
def isic_folders(tmp_path: Path) -> tuple[Path, Path]:
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    for i, path in enumerate(isic_mask_files(8)):
        shutil.copy(path, gt_dir / path.name)
        image_id = path.name.split("_segmentation")[0]
        _write(pred_dir / f"{image_id}_pred.png", perturb(load_mask(path), i))
    return pred_dir, gt_dir


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_score_matches_isic_challenge_scoring(isic_folders, tmp_path, capsys) -> None:
    isic = pytest.importorskip("isic_challenge_scoring.segmentation")
    pred_dir, gt_dir = isic_folders
    out = tmp_path / "out"
    code = run_app(["score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "pred vs gt" in printed.out and "scores.json" in printed.out
    ours = json.loads((out / "scores.json").read_text())["summary"]
    theirs = isic.SegmentationScore.from_dir(gt_dir, pred_dir).macro_average
    assert ours["mIoU"] == pytest.approx(theirs["jaccard"], abs=1e-12)
    assert ours["mDice"] == pytest.approx(theirs["dice"], abs=1e-12)
    assert ours["thresholded_jaccard"] == pytest.approx(theirs["threshold_jaccard"], abs=1e-12)
    assert ours["pixel_accuracy"] == pytest.approx(theirs["accuracy"], abs=1e-12)
    assert ours["sensitivity"] == pytest.approx(theirs["sensitivity"], abs=1e-12)
    assert ours["specificity"] == pytest.approx(theirs["specificity"], abs=1e-12)
    assert ours["one_empty"] == 1  # perturbation 3 empties one prediction
    with (out / "per_image.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and rows[0]["image_id"].startswith("ISIC_")


def test_missing_mismatched_and_extra_files_are_named(isic_folders, capsys) -> None:
    pred_dir, gt_dir = isic_folders
    preds = sorted(pred_dir.iterdir())
    preds[0].unlink()
    with Image.open(preds[1]) as image:
        half = (image.width // 2, image.height // 2)  # nearest: still a clean 0/255 mask
        image.resize(half, Image.Resampling.NEAREST).save(preds[1])
    _write(pred_dir / "ISIC_9999999_pred.png", np.zeros((4, 4)))
    code = run_app(["score", "--pred", str(pred_dir), "--gt", str(gt_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"missing prediction for {preds[0].name.replace('_pred', '_segmentation')}" in err
    assert preds[1].name in err and "size mismatch" in err
    assert "ISIC_9999999_pred.png" in err and "warning" in err


def test_multiclass_label_pngs_by_stem_with_spacing(tmp_path, capsys) -> None:
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    gt = np.zeros((20, 24), np.uint8)
    gt[2:10, 2:10], gt[12:18, 5:20] = 1, 2
    _write(gt_dir / "cell_07_mask.png", gt)
    _write(pred_dir / "cell_07.png", np.roll(gt, 1, axis=1))
    out = tmp_path / "out"
    argv = ["score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--classes", "3"]
    assert run_app([*argv, "--out", str(out), "--spacing", "0.5"]) == 0
    result = json.loads((out / "scores.json").read_text())
    assert result["distance_unit"] == "mm" and result["per_image"][0]["image_id"] == "cell_07"
    assert [row["class"] for row in result["per_class"]] == ["class_1", "class_2"]
    _write(pred_dir / "cell_07.png", gt * 2)  # label 4 with 3 classes
    assert run_app([*argv, "--out", str(out)]) == 1  # a bad file is a DataError (exit 1)
    assert "cell_07.png" in capsys.readouterr().err


def test_soft_masks_need_binarise_and_ignore_index_is_honoured(tmp_path, capsys) -> None:
    """The datasets' mask rules: an anti-aliased prediction is named, not guessed at."""
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    gt = np.zeros((16, 16), np.uint8)
    gt[4:12, 4:12] = 255
    gt[0, :] = 200  # unlabelled row, declared below as the ignore value
    soft = np.where(gt == 255, 255, 0).astype(np.uint8)
    soft[3, 4:12] = 128  # anti-aliased edge
    soft[0, :] = 255  # wrong, but only where the truth is ignored
    _write(gt_dir / "a.png", gt)
    _write(pred_dir / "a.png", soft)
    argv = ["score", "--pred", str(pred_dir), "--gt", str(gt_dir), "--out", str(tmp_path / "o")]
    assert run_app(argv) == 1
    assert "a.png: mask values" in capsys.readouterr().err.replace("\n", "")
    assert run_app([*argv, "--binarise", "--ignore-index", "200"]) == 0
    summary = json.loads((tmp_path / "o" / "scores.json").read_text())["summary"]
    assert summary["mDice"] == pytest.approx(2 * 64 / (64 + 72))  # row 3 (8 px) is a false positive
