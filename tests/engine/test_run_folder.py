"""A finished run leaves a complete, readable run folder; eval and predict use it."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import yaml
from PIL import Image
from safetensors.torch import load_file
from tiny_run import NO_TEACHER, WITH_TEACHER, cli, metric_rows, spawn

from distill.core.config import RunConfig


def test_run_folder_holds_everything_a_report_needs(trained_run):
    for name in (
        "config.yaml",
        "metrics.jsonl",
        "best.pt",
        "last.pt",
        "test_metrics.json",
        "curves.png",
        "report.md",
        "student.safetensors",
        "overlays/test_best_worst.png",
    ):
        assert (trained_run / name).is_file(), name
    cfg = RunConfig.model_validate(yaml.safe_load((trained_run / "config.yaml").read_text()))
    assert cfg.student.params["base_width"] == 4  # resolved: defaults filled in too
    rows = metric_rows(trained_run)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert {
        "loss/total",
        "loss/task/ce",
        "loss/task/dice",
        "val/mDice",
        "lr",
        "images_per_s",
        "train_s",
        "val_s",
    } <= set(rows[0])
    assert all(r["train_s"] > 0 and r["val_s"] > 0 for r in rows)
    test = json.loads((trained_run / "test_metrics.json").read_text())
    assert 0.0 <= test["summary"]["mDice"] <= 1.0 and len(test["per_image"]) == 6
    report = (trained_run / "report.md").read_text()
    assert "curves.png" in report and "overlays/test_best_worst.png" in report
    assert "mDice" in report


def test_validation_without_distances_trains_the_same_run(trained_run, tmp_path):
    """Off, val rows lose ASSD/HD95 only: the best epoch (val mDice) and test are unchanged."""
    args = ("--out", tmp_path, "--name", "tiny", "--quiet", "--set", "eval.val_distances=false")
    assert cli("run", *NO_TEACHER, *args) == 0
    run = tmp_path / "tiny"
    with_distances, without = metric_rows(trained_run), metric_rows(run)
    assert all("val/mASSD" in r and "val/mHD95" in r for r in with_distances)
    assert not any("val/mASSD" in r or "val/mHD95" in r for r in without)
    assert [r["val/mDice"] for r in without] == [r["val/mDice"] for r in with_distances]
    test, before = (json.loads((d / "test_metrics.json").read_text()) for d in (run, trained_run))
    assert test["best_epoch"] == before["best_epoch"]
    assert test["summary"] == before["summary"]  # mASSD included
    assert (run / "curves.png").is_file()


def test_eval_reproduces_the_test_metrics(trained_run, tmp_path):
    out = tmp_path / "eval.json"
    assert cli("eval", trained_run, "--json", out) == 0
    again = json.loads(out.read_text())["summary"]
    saved = json.loads((trained_run / "test_metrics.json").read_text())["summary"]
    assert abs(again["mDice"] - saved["mDice"]) < 1e-6


def test_predict_writes_masks_at_input_size(trained_run, tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(rng.integers(0, 255, (50, 70, 3), dtype=np.uint8)).save(src / "a.png")
    Image.fromarray(rng.integers(0, 255, (96, 64, 3), dtype=np.uint8)).save(src / "b.jpg")
    assert cli("predict", trained_run, src, "--out", tmp_path / "out") == 0
    mask = np.asarray(Image.open(tmp_path / "out" / "masks" / "a.png"))
    assert mask.shape == (50, 70) and set(np.unique(mask)) <= {0, 255}
    overlay = np.asarray(Image.open(tmp_path / "out" / "overlays" / "b.png"))
    assert overlay.shape == (96, 64, 3)


def test_predict_writes_nnunet_label_files(trained_run, tmp_path):
    src = tmp_path / "imagesTs"
    src.mkdir()
    pixels = np.random.default_rng(1).integers(0, 255, (40, 56, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(src / "case7_0000.png")
    out = tmp_path / "out"
    assert cli("predict", trained_run, src, "--out", out, "--format", "nnunet") == 0
    labels = np.asarray(Image.open(out / "masks" / "case7.png"))
    assert labels.shape == (40, 56) and set(np.unique(labels)) <= {0, 1}


def test_exported_student_has_no_connectors(tmp_path):
    assert (
        cli(
            "run",
            *WITH_TEACHER,
            "--distiller",
            "fitnet",
            "--set",
            "distillers.1.strides=[4]",
            "--epochs",
            "1",
            "--out",
            tmp_path,
            "--name",
            "r",
            "--quiet",
        )
        == 0
    )
    exported = load_file(str(tmp_path / "r" / "student.safetensors"))
    best = __import__("torch").load(tmp_path / "r" / "best.pt", weights_only=True)
    assert set(exported) == set(best["model"])
    assert any("connector" in k or "adapt" in k for k in best["suite"]), sorted(best["suite"])


@pytest.mark.slow
def test_metrics_table_is_whole_when_output_goes_to_a_log(tmp_path):
    """A pipe or log file has no width: tables must not be cut to rich's 80 columns."""
    env_columns = os.environ.pop("COLUMNS", None)
    try:
        run = spawn("run", *NO_TEACHER, "--out", tmp_path, "--epochs", "1")
        out, err = run.communicate(timeout=300)
    finally:
        if env_columns is not None:
            os.environ["COLUMNS"] = env_columns
    assert run.returncode == 0, err
    assert "test metrics" in out and "mDice" in out and "…" not in out
