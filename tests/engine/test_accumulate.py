"""Gradient accumulation: micro-batches add up to one update (the benchmark trains MedT so)."""

from __future__ import annotations

import pytest
from tiny_run import NO_TEACHER, cli

from distill.core.engine.checkpoint import load_checkpoint


@pytest.mark.parametrize("batch, accumulate, updates", [(4, 1, 12), (2, 2, 12), (2, 1, 24)])
def test_optimizer_steps_once_per_accumulated_batch(tmp_path, batch, accumulate, updates):
    # 16 training images, 3 epochs: 4 images per update means 4 updates an epoch
    name = f"b{batch}a{accumulate}"
    args = [*NO_TEACHER, "--set", f"train.batch_size={batch}"]
    args += ["--set", f"train.accumulate={accumulate}", "--out", tmp_path, "--name", name]
    assert cli("run", *args, "--quiet") == 0
    optimizer = load_checkpoint(tmp_path / name / "last.pt")["optimizer"]
    steps = {int(state["step"]) for state in optimizer["state"].values()}
    assert steps == {updates}
