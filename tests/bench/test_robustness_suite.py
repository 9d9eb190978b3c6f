"""``python -m benchmarks.robustness`` end to end on a tiny budget and the real sample: the
grid it trains, the shift scores it records, the table's numbers against the run folders
and scipy's Wilcoxon, the recipe chosen on shift-val, and a second invocation that
reads the finished runs instead of training them again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import wilcoxon

import distill
from benchmarks.robustness import __main__ as suite
from benchmarks.robustness.grid import Budget
from distill.core.run import Run

TINY_TEACHER = {"name": "unet", "base_width": 4}
TINY = Budget(
    size=32,
    epochs=1,
    teacher_epochs=1,
    batch=16,
    teachers={"swin": TINY_TEACHER, "cnn": TINY_TEACHER},
)
ARGS = ["--quick", "--methods", "alone", "kd/cnn", "--seeds", "2", "--device", "cpu"]
ARGS += ["--recipes", "base", "artefacts", "--name", "tiny"]


@pytest.fixture
def ran(isic_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(suite, "QUICK", TINY)
    work, out = tmp_path / "work", tmp_path / "out"
    assert suite.main([*ARGS, "--work", str(work), "--out", str(out)]) == 0
    return work, out, json.loads((out / "tiny.json").read_text())


def folder(work: Path, recipe: str, method: str, seed: int) -> Path:
    return work / "runs" / f"isic2017-cc0-{recipe}-{method}-s{seed}"


def per_image_mean(folders: list[Path], split: str) -> dict[str, float]:
    scores: dict[str, list[float]] = {}
    for path in folders:
        for row in Run.open(path).held_out()[split]["per_image"]:
            scores.setdefault(row["image_id"], []).append(row["mDice"])
    return {image: float(np.mean(values)) for image, values in scores.items()}


@pytest.mark.slow
def test_the_suite_scores_each_run_in_and_out_of_distribution(ran, monkeypatch):
    work, out, table = ran
    assert sorted(p.name for p in (work / "runs").iterdir()) == sorted(
        folder(work, a, m, s).name
        for a in ("base", "artefacts")
        for m in ("alone", "kd-cnn")
        for s in (0, 1)
    )
    assert [(r["recipe"], r["method"]) for r in table] == [
        ("base", "alone"),
        ("base", "kd/cnn"),
        ("artefacts", "alone"),
        ("artefacts", "kd/cnn"),
    ]
    run = Run.open(folder(work, "artefacts", "alone", 0))
    assert run.config.data.augment.hair_p == 0.3 and run.config.data.augment.zoom_p == 0.5
    assert Run.open(folder(work, "base", "alone", 0)).config.data.augment.hair_p == 0.0
    assert set(run.held_out()) == {"shift", "shift-val"}
    assert (len(run.held_out()["shift"]["per_image"]), run.data["train_images"]) == (61, 256)
    base_kd = table[1]
    dice = [
        100 * Run.open(folder(work, "base", "kd-cnn", s)).held_out()["shift"]["summary"]["mDice"]
        for s in (0, 1)
    ]
    assert base_kd["shift"] == pytest.approx(np.mean(dice))
    assert base_kd["shift_std"] == pytest.approx(np.std(dice, ddof=1))
    kd = per_image_mean([folder(work, "base", "kd-cnn", s) for s in (0, 1)], "shift")
    alone = per_image_mean([folder(work, "base", "alone", s) for s in (0, 1)], "shift")
    differences = [kd[image] - alone[image] for image in sorted(alone)]
    assert base_kd["shift_vs_alone"]["gain"] == pytest.approx(100 * np.mean(differences))
    assert base_kd["shift_vs_alone"]["p"] == pytest.approx(wilcoxon(differences).pvalue)
    assert "shift_vs_base" not in base_kd and "shift_vs_base" in table[3]
    by_shift_val = max(table[0::2], key=lambda r: r["shift-val"])["recipe"]
    page = (out / "tiny.md").read_text()
    assert f"Chosen on validation: **{by_shift_val}**" in page
    assert "| base | kd/cnn |" in page
    alone_artefacts = table[2]
    assert (
        f"- MPDNet alone with `artefacts` against `base`: shift "
        f"{alone_artefacts['shift_vs_base']['gain']:+.2f}" in page
    )
    assert f"- shift-val chose `{by_shift_val}`" in page and "  - kd/cnn on shift: " in page

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(distill, "run", no_training)
    monkeypatch.setattr(distill, "evaluate", no_training)
    assert suite.main([*ARGS, "--work", str(work), "--out", str(out / "again")]) == 0
    assert json.loads((out / "again" / "tiny.json").read_text()) == table
    # --report-only tabulates what finished: a recipe never trained adds no row
    report = [*ARGS, "--recipes", "base", "artefacts", "zoom-out", "--report-only"]
    assert suite.main([*report, "--work", str(work), "--out", str(out / "report")]) == 0
    assert json.loads((out / "report" / "tiny.json").read_text()) == table
    with pytest.raises(SystemExit, match="no finished run of the grid"):
        suite.main([*report, "--work", str(work / "empty"), "--out", str(out / "none")])
