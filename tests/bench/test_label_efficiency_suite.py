"""``python -m benchmarks.label_efficiency`` end to end on a tiny budget: the grid it trains,
the table's numbers against the run folders, the files it writes, and a second invocation
that reads the finished runs instead of training them again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import wilcoxon

import distill
from benchmarks.label_efficiency import __main__ as suite
from benchmarks.label_efficiency.grid import Budget
from distill.core.run import Run

TINY = Budget(
    size=32,
    epochs=1,
    teacher_epochs=1,
    batch=16,
    teacher={"name": "unet", "base_width": 4},
)
COUNTS = {"train_count": 32, "val_count": 8, "test_count": 16}
ARGS = ["--quick", "--dataset", "synthetic-derm", "--fractions", "0.5", "1.0"]
ARGS += ["--methods", "alone", "kd+U", "--seeds", "2", "--device", "cpu", "--name", "tiny"]


@pytest.fixture
def ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, list[dict]]:
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(suite, "QUICK", TINY)
    monkeypatch.setattr(suite, "dataset_config", lambda name, root: {"name": name, **COUNTS})
    work, out = tmp_path / "work", tmp_path / "out"
    assert suite.main([*ARGS, "--work", str(work), "--out", str(out)]) == 0
    return work, out, json.loads((out / "tiny.json").read_text())


def per_image_mean(folders: list[Path]) -> dict[str, float]:
    scores: dict[str, list[float]] = {}
    for folder in folders:
        for row in Run.open(folder).per_image:
            scores.setdefault(row["image_id"], []).append(row["mDice"])
    return {image: float(np.mean(values)) for image, values in scores.items()}


@pytest.mark.slow
def test_the_suite_trains_its_grid_and_its_table_matches_the_runs(ran, monkeypatch):
    work, out, table = ran
    runs = sorted(p.name for p in (work / "runs").iterdir())
    # +U at 100% would repeat kd's run: there are no unlabelled images left
    assert runs == [
        f"synthetic-derm-f{f}-{m}-s{s}"
        for f, m in (("0.5", "alone"), ("0.5", "kd+U"), ("1", "alone"))
        for s in (0, 1)
    ]
    assert [(r["fraction"], r["method"]) for r in table] == [
        (0.5, "alone"),
        (0.5, "kd+U"),
        (1.0, "alone"),
    ]
    half_alone, half_kd, _ = table
    assert half_alone["labelled"] == half_kd["labelled"] == 16  # half of 32, one class
    assert half_kd["unlabelled_used"] == 16 and not half_alone["unlabelled_used"]
    dice = [
        100 * Run.open(work / "runs" / f"synthetic-derm-f0.5-kd+U-s{s}").test["summary"]["mDice"]
        for s in (0, 1)
    ]
    assert half_kd["mDice"] == pytest.approx(np.mean(dice))
    assert half_kd["std"] == pytest.approx(np.std(dice, ddof=1))
    kd = per_image_mean([work / "runs" / f"synthetic-derm-f0.5-kd+U-s{s}" for s in (0, 1)])
    alone = per_image_mean([work / "runs" / f"synthetic-derm-f0.5-alone-s{s}" for s in (0, 1)])
    differences = [kd[image] - alone[image] for image in sorted(alone)]
    assert half_kd["images"] == 16
    assert half_kd["gain"] == pytest.approx(100 * np.mean(differences))
    assert half_kd["p"] == pytest.approx(wilcoxon(differences).pvalue)
    page = (out / "tiny.md").read_text()
    assert "| 50% | kd+U | 16 | 16 |" in page and "![plot](tiny.png)" in page
    assert (out / "tiny.png").stat().st_size > 0

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(distill, "run", no_training)
    assert suite.main([*ARGS, "--work", str(work), "--out", str(out / "again")]) == 0
    assert json.loads((out / "again" / "tiny.json").read_text()) == table
