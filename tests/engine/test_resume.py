"""Interrupted runs resume to the same result as uninterrupted ones (CPU, fixed seed)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import torch
from tiny_run import NO_TEACHER, WITH_TEACHER, cli, final_summary, metric_rows, spawn

from distill.core.engine.checkpoint import load_checkpoint


def wait_for(predicate, proc, timeout=240.0):
    start = time.monotonic()
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.communicate()[1][-2000:]}")
        if time.monotonic() - start > timeout:
            proc.kill()
            raise AssertionError("timed out waiting for the run")
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    args = [*WITH_TEACHER, "--epochs", "6", "--out", tmp_path]  # time to kill it mid-run
    assert cli("run", *args, "--name", "straight", "--quiet") == 0
    straight = final_summary(tmp_path / "straight")

    proc = spawn("run", *args, "--name", "killed")
    killed = tmp_path / "killed"
    wait_for(lambda: any(r["stage"] == "student" for r in metric_rows(killed)), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "test_metrics.json").exists()

    assert cli("run", "--resume", killed, "--quiet") == 0
    resumed = final_summary(killed)
    for key in ("mDice", "mIoU", "mASSD"):
        assert resumed[key] == pytest.approx(straight[key], abs=1e-6), key
    epochs = [r["epoch"] for r in metric_rows(killed) if r["stage"] == "student"]
    assert epochs == [1, 2, 3, 4, 5, 6]


# 16 steps an epoch for 8 epochs: a signal sent as soon as epoch 1 is logged always lands
# while training is still going on.
LONG = [
    *NO_TEACHER,
    "--set",
    "train.batch_size=2",
    "--set",
    "data.dataset.train_count=32",
    "--epochs",
    "8",
]


def sigterm_after_first_epoch(run_dir: Path, *args) -> str:
    """Start a run, stop it with SIGTERM once its first epoch is logged; its stderr."""
    proc = spawn("run", *args, "--out", run_dir.parent, "--name", run_dir.name)
    wait_for(lambda: len(metric_rows(run_dir)) >= 1, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    return err


@pytest.mark.slow
def test_sigterm_saves_mid_epoch_and_resume_is_exact(tmp_path):
    assert cli("run", *LONG, "--out", tmp_path, "--name", "straight", "--quiet") == 0
    # No epoch checkpoints: what the interrupt writes (last and the pending best) must suffice.
    stopped = tmp_path / "stopped"
    err = sigterm_after_first_epoch(stopped, *LONG, "--set", "train.checkpoint_every=0")
    assert "continue with --resume" in err
    state = load_checkpoint(stopped / "last.pt")["loop"]
    assert state["epoch"] >= 1
    assert cli("run", "--resume", stopped, "--quiet") == 0
    a, b = final_summary(tmp_path / "straight"), final_summary(stopped)
    assert b["mDice"] == pytest.approx(a["mDice"], abs=1e-6)
    w1 = torch.load(tmp_path / "straight" / "best.pt", weights_only=True)["model"]
    w2 = torch.load(stopped / "best.pt", weights_only=True)["model"]
    assert all(torch.allclose(w1[k].float(), w2[k].float(), atol=1e-6) for k in w1)


@pytest.mark.slow
def test_without_a_resume_state_sigterm_writes_nothing_and_resume_starts_over(tmp_path):
    """``train.resume_state=false`` (grids that redo a run): no last.pt, ever; --resume then
    trains the stage again from its first epoch, replacing the stopped try's rows, and ends
    where an uninterrupted run does."""
    args = [*LONG, "--set", "train.resume_state=false"]
    assert cli("run", *args, "--out", tmp_path, "--name", "straight", "--quiet") == 0
    assert not (tmp_path / "straight" / "last.pt").exists()
    stopped = tmp_path / "stopped"
    err = sigterm_after_first_epoch(stopped, *args)
    assert "nothing to resume from (train.resume_state is off)" in err
    assert not (stopped / "last.pt").exists()
    assert cli("run", "--resume", stopped, "--quiet") == 0
    assert [r["epoch"] for r in metric_rows(stopped)] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert final_summary(stopped) == pytest.approx(final_summary(tmp_path / "straight"))


@pytest.mark.parametrize(
    "setting, last_writes",
    [
        ("train.checkpoint_every=0", 1),
        ("train.checkpoint_every=2", 2),
        ("train.resume_state=false", 0),
    ],
)
def test_sparser_checkpoints_write_less_and_train_the_same(
    tmp_path, monkeypatch, setting, last_writes
):
    import distill.core.engine.checkpointer as loop

    writes: list[str] = []
    real_save = loop.save_atomic

    def counting_save(blob, path):
        writes.append(path.name)
        real_save(blob, path)

    args = [*NO_TEACHER, "--out", tmp_path, "--quiet"]
    assert cli("run", *args, "--name", "every-epoch") == 0
    monkeypatch.setattr(loop, "save_atomic", counting_save)
    assert cli("run", *args, "--name", "sparse", "--set", setting) == 0

    assert writes.count("last.pt") == last_writes  # 3 epochs: the end (+ epoch 2)
    assert 1 <= writes.count("best.pt") <= max(last_writes, 1)
    if last_writes:
        assert load_checkpoint(tmp_path / "sparse" / "last.pt")["loop"]["epoch"] == 3
    else:
        assert not (tmp_path / "sparse" / "last.pt").exists()
    dense, sparse = tmp_path / "every-epoch", tmp_path / "sparse"
    assert final_summary(sparse) == final_summary(dense)
    best_dense = torch.load(dense / "best.pt", weights_only=True)
    best_sparse = torch.load(sparse / "best.pt", weights_only=True)
    assert best_sparse["epoch"] == best_dense["epoch"]
    assert all(
        torch.equal(best_dense["model"][k], best_sparse["model"][k]) for k in best_dense["model"]
    )
