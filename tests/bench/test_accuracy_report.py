"""The accuracy report's own tables and checks, beside the compare table: per-seed
distillation gains over mpdnet and the targets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks.accuracy.gains import gain_section, gain_table
from benchmarks.accuracy.report import target_checks


def run(seed: int, mdice: float, teachers=()) -> SimpleNamespace:
    """What gain_table reads of a finished run: its seed and its test scores."""
    test = {"summary": {"mDice": mdice}, "teachers": [{"name": n, "mDice": v} for n, v in teachers]}
    return SimpleNamespace(cfg=SimpleNamespace(seed=seed), test=test)


def test_gain_table_pairs_each_method_with_mpdnet_on_the_same_seed() -> None:
    """Gains are per-seed differences (seed 2 of kd has no mpdnet partner and is left out);
    the room is the better teacher minus mpdnet, seed by seed; p comes from compare's row."""
    groups = {
        "unet": [run(0, 0.5)],
        "mpdnet": [run(0, 0.80), run(1, 0.90)],
        "mpdnet+kd": [
            run(0, 0.82, [("swin", 0.85), ("cnn", 0.86)]),
            run(1, 0.91, [("swin", 0.93), ("cnn", 0.92)]),
            run(2, 0.99, [("swin", 0.99), ("cnn", 0.99)]),
        ],
    }
    table = [{"method": "mpdnet+kd", "p_text": "0.031"}]
    (kd,), room = gain_table(groups, table, "mpdnet")
    assert kd["method"] == "mpdnet+kd" and kd["seeds"] == 2 and kd["p_text"] == "0.031"
    assert kd["gain"] == pytest.approx(1.5)  # mean of +2 and +1 points
    assert kd["gain_std"] == pytest.approx(0.7071, abs=1e-4)
    assert room == kd["room"] == pytest.approx(4.5)  # mean of 6 and 3 points
    assert kd["closed"] == pytest.approx(100 * 1.5 / 4.5)
    text = "\n".join(gain_section([kd], room, "mpdnet"))
    assert "| mpdnet+kd | 1.50 ± 0.71 | 4.50 | 33 | 2 | 0.031 |" in text
    assert "a 1-point gain is 22% of it" in text
    assert gain_table({"mpdnet": groups["mpdnet"]}, [], "mpdnet") == ([], None)
    assert gain_section([], None, "mpdnet") == []


def test_targets_judge_dual_against_mpdnet_and_the_unet_and_calibrate_synthetic_sets() -> None:
    table = [
        {"method": "unet-32", "mDice": 80.0, "gmacs": 12.0},
        {"method": "mpdnet", "mDice": 50.0, "gmacs": 0.4},
        {
            "method": "mpdnet+dual",
            "mDice": 51.0,
            "gmacs": 0.4,
            "val_mDice": 60.0,
            "seeds": 1,
            "p_text": "0.031",
            "paired_images": 6,
        },
        {"method": "mpdnet+dual@x", "mDice": 49.0, "gmacs": 0.4, "val_mDice": 61.0, "seeds": 1},
    ]
    checks = {c["check"]: c for c in target_checks(table, "isic2017-cc0")}
    dual = checks["mpdnet+dual >= mpdnet alone + 1 mDice point"]
    assert dual["pass"] and dual["scope"] == "target"
    assert dual["detail"] == "51.00 vs 50.00; paired over 6 test images, p = 0.031"
    picked = checks["validation-selected mpdnet+dual setting >= mpdnet alone + 1 mDice point"]
    assert not picked["pass"] and picked["detail"].startswith("mpdnet+dual@x, best val mDice 61")
    assert not checks["mpdnet+dual mDice >= unet-32"]["pass"]
    assert checks["mpdnet+dual GMACs <= 1/3 of unet-32"]["pass"]
    assert "unet-32 mDice within 75-92 (calibration)" not in checks  # real images
    synthetic = target_checks(table, "synthetic-derm")
    assert synthetic[0]["scope"] == "calibration" and synthetic[0]["pass"]
    assert synthetic[1]["scope"].startswith("informational")
