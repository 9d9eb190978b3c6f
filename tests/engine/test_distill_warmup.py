"""The distillation warm-up: distiller terms ramp from near 0 to full weight."""

from __future__ import annotations

import pytest
import torch
from tiny_run import WITH_TEACHER, cli, metric_rows

import distill
from distill.core.engine.distillation import DistillerSuite
from distill.core.engine.schedule import distill_ramp
from distill.core.interfaces import ModelSpec, SegOutput


def test_ramp_is_linear_then_one_and_off_by_default():
    # one epoch of 4 batches as warm-up: each batch counts itself as done
    assert [distill_ramp((b + 1) / 4, 1) for b in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert distill_ramp(0.25, 0) == 1.0
    assert distill_ramp(1.0, 2.5) == pytest.approx(0.4)  # fractional warm-up epochs


def test_suite_scales_every_term_by_the_ramp():
    spec = ModelSpec("m", "cnn", 3, (4,), (4,))
    kd = distill.create("distiller", "kd", spec, [spec], weight=2.0)
    suite = DistillerSuite([("kd", kd)], warmup_epochs=4.0)
    g = torch.Generator().manual_seed(0)
    student = SegOutput(torch.randn(2, 3, 8, 8, generator=g), [])
    teacher = SegOutput(torch.randn(2, 3, 8, 8, generator=g), [])
    full = suite(student, [teacher], torch.zeros(2, 8, 8, dtype=torch.long))["kd/kd"]
    suite.follow(1.0)  # a quarter of the warm-up done
    assert suite.ramp == 0.25
    ramped = suite(student, [teacher], torch.zeros(2, 8, 8, dtype=torch.long))["kd/kd"]
    assert ramped.item() == pytest.approx(0.25 * full.item())


def test_run_logs_the_ramp_reaching_full_weight(tmp_path):
    # 16 images in batches of 4: 4 batches an epoch; a 2-epoch warm-up over 3 epochs
    args = [*WITH_TEACHER, "--set", "train.distill_warmup_epochs=2", "--out", tmp_path]
    assert cli("run", *args, "--name", "r", "--quiet") == 0
    rows = [r for r in metric_rows(tmp_path / "r") if r["stage"] == "student"]
    assert [r["distill_ramp"] for r in rows] == [0.5, 1.0, 1.0]
