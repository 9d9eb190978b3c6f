"""Running the accuracy grid's cells: quiet side by side, GPU memory capped per run, failed
runs retried alone, tracebacks without this machine's paths."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch

from benchmarks.accuracy import cli, grid, runner
from benchmarks.accuracy.schedule import TeacherFirst


def test_silent_accuracy_runs_print_nothing_but_keep_their_epoch_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Runs side by side stay silent (their epoch lines would interleave in the suite's
    log); one run alone prints its epochs; both keep metrics.jsonl."""
    budget = grid.Budget(32, 2, 1, 2, ("cnn",), "cpu", counts=(4, 2, 2), threads=1)
    method = grid.all_methods()["mpdnet"]
    lines = {}
    for silent in (True, False):
        row = runner.run_one("synthetic-derm", 0, method, budget, tmp_path / str(silent),
                               silent=silent)  # fmt: skip
        assert "error" not in row, row.get("traceback")
        metrics = tmp_path / str(silent) / row["run_dir"] / "metrics.jsonl"
        assert len(metrics.read_text().splitlines()) == 2  # one row per epoch
        lines[silent] = capfd.readouterr().err
    assert lines[True] == ""
    assert "[student] epoch 2" in lines[False]


def test_accuracy_retries_alone_what_failed_beside_other_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight runs share one GPU, each capped at a quarter of its memory (more runs: still a
    quarter; fewer: twice a fair share); a run that fails there (out of memory beside the
    others) is tried once more at the end, alone and uncapped."""
    calls, rows = [], []

    def fake_parallel(runs, budget, jobs, work, report, out_of_time, gpu_share, room=None):
        labels = []
        while runs:
            dataset, seed, method = run = runs.next()
            labels.append(method.label)
            row = {"dataset": dataset, "seed": seed, "method": method.label, "seconds": 1.0}
            if jobs > 1 and method.label == "medt":
                row["error"] = "OutOfMemoryError: CUDA out of memory"
            else:
                row["mDice"] = 0.5
            report(row)
            runs.finished(run, "error" not in row)
        calls.append((labels, jobs, gpu_share, callable(room)))

    class Collect:
        def add(self, row):
            rows.append(row)

    monkeypatch.setattr(runner, "run_parallel", fake_parallel)
    argv = ["--device", "cuda", "--jobs", "8", "--methods", "mpdnet,medt", "--seeds", "1"]
    args = cli.parse_args([*argv, "--datasets", "synthetic-derm", "--work", str(tmp_path)])
    budget = grid.Budget(None, 1, 1, 2, ("swin",), "cuda")
    todo = [("synthetic-derm", 0, args.catalog[m]) for m in ("mpdnet", "medt")]
    runner.execute(todo, budget, args, Collect())
    # side by side, a run starts only while the GPU has a run's cap free; alone it just goes
    assert calls == [(["mpdnet", "medt"], 8, 0.25, True), (["medt"], 1, None, False)]
    assert [runner.gpu_share(j) for j in (1, 2, 4, 8, 12, 16)] == [1, 1, 0.5, 0.25, 0.25, 0.25]
    assert [("error" in r, r["method"]) for r in rows] == [
        (False, "mpdnet"), (True, "medt"), (False, "medt")
    ]  # fmt: skip


@pytest.mark.parametrize(("device", "index"), [("cuda", None), ("cuda:1", 1)])
def test_accuracy_caps_gpu_memory_on_the_device_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, device: str, index: int | None
) -> None:
    """torch refuses a ``torch.device('cuda')`` without an index here (it cost a GPU lease
    once): plain "cuda" must pass None, the current device."""
    capped = []
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction",
                        lambda share, dev: capped.append((share, dev)))  # fmt: skip
    monkeypatch.setattr(runner, "run_config", lambda *a: 1 / 0)  # stop right after the cap
    budget = grid.Budget(None, 1, 1, 2, ("swin",), device)
    method = grid.all_methods()["mpdnet"]
    row = runner.run_one("synthetic-derm", 0, method, budget, tmp_path, gpu_share=0.25)
    assert capped == [(0.25, index)]
    assert row["error"].startswith("ZeroDivisionError")


def test_accuracy_tracebacks_name_files_without_this_machines_paths() -> None:
    text = (
        f'  File "{runner.REPO}/benchmarks/accuracy/runner.py", line 1, in run_one\n'
        '  File "/opt/env/lib/python3.12/site-packages/torch/nn/modules/module.py", line 2\n'
    )
    assert runner.portable_paths(text) == (
        '  File "benchmarks/accuracy/runner.py", line 1, in run_one\n'
        '  File "site-packages/torch/nn/modules/module.py", line 2\n'
    )


def test_runs_wait_for_gpu_room_and_one_always_goes(tmp_path: Path) -> None:
    """With room() saying no, three slots run one run at a time: none starts before the one
    going has ended, and the suite does not stall (one always goes)."""
    budget = grid.Budget(32, 1, 1, 2, ("cnn",), "cpu", counts=(4, 2, 2), threads=1)
    methods = grid.all_methods()
    todo = [("synthetic-derm", seed, methods["mpdnet"]) for seed in range(3)]
    rows, asked = [], []

    def report(row):
        rows.append(row)

    def room() -> bool:
        asked.append(len(rows))
        return False

    runner.run_parallel(TeacherFirst(todo), budget, 3, tmp_path, report, lambda: False,
                        None, room)  # fmt: skip
    assert len(rows) == 3 and not any("error" in r for r in rows)
    spans = sorted((r["started"], r["started"] + r["seconds"]) for r in rows)
    # (seconds are rounded to 0.1)
    assert all(end <= start + 0.1 for (_, end), (start, _) in itertools.pairwise(spans))
    assert asked == [0, 1]  # with a run going, before each next one (the last had no next)


def test_gpu_room_is_a_runs_cap_of_free_memory_on_the_named_device(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = []

    def mem_get_info(index):
        asked.append(index)
        return (free[0], 80 * 2**30)

    free = [20 * 2**30]
    monkeypatch.setattr(torch.cuda, "mem_get_info", mem_get_info)
    room = runner.gpu_room("cuda:1", 0.25)
    assert room()  # 20 of 80 GiB free: a quarter
    free[0] -= 1
    assert not room()
    assert runner.gpu_room("cuda", 0.25)() is False and asked == [1, 1, None]


def test_a_run_without_cuda_reports_no_gpu_memory(tmp_path: Path) -> None:
    budget = grid.Budget(32, 1, 1, 2, ("cnn",), "cpu", counts=(4, 2, 2), threads=1)
    row = runner.run_one("synthetic-derm", 0, grid.all_methods()["mpdnet"], budget, tmp_path)
    assert "error" not in row and "peak_gpu_gib" not in row
    assert runner.hand_back_gpu_memory() is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_finished_run_hands_its_gpu_memory_back() -> None:
    """A pool worker lives on: what its last run cached must go back to the device."""
    block = torch.empty(2**30, dtype=torch.uint8, device="cuda")  # 1 GiB
    del block
    assert torch.cuda.memory_reserved() >= 2**30  # cached by the allocator, not freed
    assert runner.hand_back_gpu_memory() >= 1.0
    assert torch.cuda.memory_reserved() < 2**30  # (other tests' live tensors may remain)
    assert runner.hand_back_gpu_memory() < 1.0  # the peak starts again from the hand-back
