"""distill predict: masks at input size, unique names, a manifest, --skip-bad, no torch."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

from tests.engine.tiny_run import cli


def imported(importtime_log: str) -> set[str]:
    """Top-level module names from ``python -X importtime`` output."""
    return {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in importtime_log.splitlines()
        if line.startswith("import time:")
    }


def _inputs(tmp_path, isic_files):
    """x/a.jpg, x/a.png (same stem), y/a.jpg (same name, other folder), x/b.jpg."""
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
    shutil.copy(isic_files[0], tmp_path / "x" / "a.jpg")
    Image.open(isic_files[1]).save(tmp_path / "x" / "a.png")
    shutil.copy(isic_files[2], tmp_path / "y" / "a.jpg")
    shutil.copy(isic_files[3], tmp_path / "x" / "b.jpg")
    return [tmp_path / "x", tmp_path / "y"]


def test_onnxruntime_predict_imports_no_torch(isic_bundle, isic_files, tmp_path):
    inputs = _inputs(tmp_path, isic_files)
    (tmp_path / "y" / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "preds"
    env = {**os.environ, "DISTILL_QUIET": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "distill",
            "predict",
            str(isic_bundle),
            *map(str, inputs),
            "--out",
            str(out),
            "--runtime",
            "onnxruntime",
            "--skip-bad",
            "--tta",
            "flip",
            "--probabilities",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = imported(done.stderr)
    assert "onnxruntime" in modules and "torch" not in modules
    assert "broken.png" in done.stderr and "skipped 1" in done.stderr
    names = sorted(p.name for p in (out / "masks").iterdir())
    assert names == ["b.png", "x__a_jpg.png", "x__a_png.png", "y__a_jpg.png"]
    rows = {r["input"]: r for r in csv.DictReader((out / "manifest.csv").open())}
    assert rows[str(tmp_path / "y" / "broken.png")]["status"].startswith("skipped: ")
    row = rows[str(tmp_path / "x" / "a.png")]
    mask = np.asarray(Image.open(row["mask"]))
    assert mask.shape == Image.open(tmp_path / "x" / "a.png").size[::-1]
    assert set(np.unique(mask)) <= {0, 255}
    probs = np.load(row["probabilities"])
    assert probs.dtype == np.float32 and probs.shape == (2, *mask.shape)
    np.testing.assert_array_equal(probs.argmax(0) * 255, mask)
    assert Image.open(row["overlay"]).size == mask.shape[::-1]


def test_bad_image_without_skip_bad_names_it(bundle, tmp_path, capsys):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    assert cli("predict", bundle, tmp_path / "broken.png", "--out", tmp_path / "o") == 1
    err = capsys.readouterr().err
    assert "broken.png" in err and "--skip-bad" in err


def test_outputs_are_never_overwritten(bundle, isic_files, tmp_path, capsys):
    out = tmp_path / "preds"
    assert cli("predict", bundle, isic_files[0], "--out", out) == 0
    before = (out / "manifest.csv").read_text()
    assert cli("predict", bundle, isic_files[0], "--out", out) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "manifest.csv").read_text() == before


def test_score_reads_the_mask_folder(isic_run, isic_files, tmp_path):
    """The masks of a run's predictions score against ISIC ground truth by name."""
    from tests.deploy.conftest import ISIC_MASKS

    out = tmp_path / "preds"
    assert cli("predict", isic_run, *isic_files, "--out", out, "--no-overlays") == 0
    gt = tmp_path / "gt"
    gt.mkdir()
    for path in isic_files:
        name = f"{path.stem}_segmentation.png"
        shutil.copy(ISIC_MASKS / name, gt / name)
    assert cli("score", "--pred", out / "masks", "--gt", gt, "--out", tmp_path / "s") == 0
    scores = json.loads((tmp_path / "s" / "scores.json").read_text())
    assert len(scores["per_image"]) == len(isic_files)
