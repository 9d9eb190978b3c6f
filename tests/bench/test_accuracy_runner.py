"""Running the accuracy grid's cells: quiet side by side, each teacher trained by one run,
GPU memory capped per run on the device named, tracebacks without this machine's paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchmarks.accuracy import grid, runner


def test_silent_accuracy_runs_print_nothing_but_keep_their_epoch_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Runs side by side stay silent (their epoch lines would interleave in the suite's
    log); one run alone prints its epochs; both keep metrics.jsonl."""
    budget = grid.Budget(32, 2, 1, 2, ("cnn",), "cpu", counts=(4, 2, 2), threads=1)
    cell = ("synthetic-derm", 0, grid.all_methods()["mpdnet"])
    lines = {}
    for jobs in (2, 1):
        outcome = runner.run_one(cell, budget, tmp_path / str(jobs), jobs)
        assert "error" not in outcome, outcome.get("traceback")
        metrics = tmp_path / str(jobs) / outcome["run_dir"] / "metrics.jsonl"
        assert len(metrics.read_text().splitlines()) == 2  # one row per epoch
        lines[jobs] = capfd.readouterr().err
    assert lines[2] == ""
    assert "epoch 2" in lines[1]  # distill.run's progress


def test_side_by_side_one_run_per_pair_trains_its_teacher_before_the_rest() -> None:
    methods = grid.all_methods()
    cells = [
        (d, s, methods[m])
        for d in ("a", "b")
        for s in (0, 1)
        for m in ("mpdnet+dual", "mpdnet", "mpdnet+kd", "unet")
    ]
    first, second = runner.waves(cells)
    labels = {(d, s): [m.label for d2, s2, m in first if (d2, s2) == (d, s)] for d, s, _ in cells}
    assert all(found == ["mpdnet+dual", "mpdnet", "unet"] for found in labels.values())
    assert [(d, s, m.label) for d, s, m in second] == [
        (d, s, "mpdnet+kd") for d in ("a", "b") for s in (0, 1)
    ]
    assert runner.waves([cells[1]]) == [[cells[1]]]  # no teacher: one wave


@pytest.mark.parametrize(("device", "index"), [("cuda", None), ("cuda:1", 1)])
def test_accuracy_caps_gpu_memory_on_the_device_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, device: str, index: int | None
) -> None:
    """torch refuses a ``torch.device('cuda')`` without an index here (it cost a GPU lease
    once): plain "cuda" must pass None, the current device. Alone, a run is not capped."""
    capped = []

    def cap(share: float, device: int | None) -> None:
        capped.append((share, device))

    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction", cap)
    monkeypatch.setattr(runner, "run_config", lambda *a: 1 / 0)  # stop right after the cap
    budget = grid.Budget(None, 1, 1, 2, ("swin",), device)
    cell = ("synthetic-derm", 0, grid.all_methods()["mpdnet"])
    outcome = runner.run_one(cell, budget, tmp_path, jobs=8)
    assert capped == [(0.25, index)]
    assert outcome["error"].startswith("ZeroDivisionError")
    runner.run_one(cell, budget, tmp_path, jobs=1)
    assert len(capped) == 1
    assert [runner.gpu_share(j) for j in (2, 4, 8, 16)] == [1, 0.5, 0.25, 0.25]


def test_accuracy_tracebacks_name_files_without_this_machines_paths() -> None:
    text = (
        f'  File "{runner.REPO}/benchmarks/accuracy/runner.py", line 1, in run_one\n'
        '  File "/opt/env/lib/python3.12/site-packages/torch/nn/modules/module.py", line 2\n'
    )
    assert runner.portable_paths(text) == (
        '  File "benchmarks/accuracy/runner.py", line 1, in run_one\n'
        '  File "site-packages/torch/nn/modules/module.py", line 2\n'
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_finished_run_hands_its_gpu_memory_back() -> None:
    """A pool worker lives on: what its last run cached must go back to the device."""
    block = torch.empty(2**30, dtype=torch.uint8, device="cuda")  # 1 GiB
    del block
    assert torch.cuda.memory_reserved() >= 2**30  # cached by the allocator, not freed
    runner.release_gpu_memory()
    assert torch.cuda.memory_reserved() < 2**30  # (other tests' live tensors may remain)
