"""Faults that used to give silent wrong results or lose work (issue #23), each checked
against the behaviour that was wrong before."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import torch
from tiny_run import NO_TEACHER, WITH_TEACHER, cli, metric_rows, registered_distiller

from distill.core.config import ComponentConfig, RunConfig
from distill.core.engine.checkpoint import load_weights, save_atomic
from distill.core.engine.record import data_fingerprint
from distill.core.engine.teacher_store import teacher_key
from distill.core.errors import ConfigError, DistillError
from distill.core.interfaces import Distiller, SplitArrays
from distill.core.run import Run

TINY_RUN = [*NO_TEACHER, "--quiet"]


def arrays(mask_value: int = 1) -> SplitArrays:
    images = np.zeros((2, 8, 8, 3), np.uint8)
    masks = np.zeros((2, 8, 8), np.uint8)
    masks[0, 2:4, 2:4] = mask_value
    return SplitArrays(images, masks, ["a", "b"])


def test_a_mask_edited_in_place_gives_another_teacher_key():
    cfg, teacher = RunConfig(), ComponentConfig(name="unet")
    before = teacher_key(cfg, teacher, data_fingerprint([arrays(1)]))
    after = teacher_key(cfg, teacher, data_fingerprint([arrays(0)]))
    assert before != after
    assert before == teacher_key(cfg, teacher, data_fingerprint([arrays(1)]))


class PoisoningDistiller(Distiller):
    """A finite loss (0) whose gradient is NaN at the epoch's last step: the loss guard
    sees nothing, while the update leaves the student's weights NaN for validation."""

    needs = frozenset()

    def __init__(self, params, student, teachers):
        super().__init__(params, student, teachers)
        self.calls = 0

    def forward(self, student, teachers, target):
        self.calls += 1
        logits = student.logits
        if self.calls != 4:  # 16 training images, batch 4: step 4 ends epoch 1
            return {"poison": 0 * logits.sum()}
        return {"poison": (logits - logits.detach()).abs().sqrt().sum()}


@pytest.fixture
def poisoning():
    with registered_distiller("poisoning", PoisoningDistiller):
        yield


def test_non_finite_weights_are_never_checkpointed(poisoning, tmp_path, capsys):
    args = [*NO_TEACHER[:-2], "--distiller", "poisoning", "--out", tmp_path, "--quiet"]
    assert cli("run", *args, "--name", "nan") == 1
    err = capsys.readouterr().err
    assert "weights are not finite" in err and "no good checkpoint was written" in err
    run = Run.open(tmp_path / "nan")
    assert not run.files().best.exists() and not run.files().last.exists()
    assert run.status == "failed"


def test_a_non_finite_loss_does_not_claim_a_checkpoint_that_was_never_written(
    poisoning, tmp_path, capsys
):
    args = [*NO_TEACHER[:-2], "--distiller", "poisoning", "--out", tmp_path, "--quiet"]
    assert cli("run", *args, "--set", "train.batch_size=2", "--name", "nan") == 1
    err = capsys.readouterr().err
    assert "loss term" in err and "no good checkpoint was written" in err
    assert "last good checkpoint is kept" not in err


def test_eval_refuses_a_checkpoint_with_non_finite_weights(trained_run, tmp_path, capsys):
    run_dir = tmp_path / "copy"
    run_dir.mkdir()
    for name in (Run.CONFIG, Run.RECORD):
        (run_dir / name).write_bytes((trained_run / name).read_bytes())
    blob = torch.load(trained_run / "best.pt", weights_only=True)
    first = next(k for k, v in blob["model"].items() if v.is_floating_point())
    blob["model"][first] = torch.full_like(blob["model"][first], float("nan"))
    save_atomic(blob, run_dir / "best.pt")
    assert cli("eval", run_dir) == 1
    assert "non-finite weights" in capsys.readouterr().err


def test_a_checkpoint_for_another_model_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "other.pt"
    save_atomic({"model": {"weight": torch.ones(3)}}, path)
    with pytest.raises(DistillError, match=f"'{path}' does not fit the model"):
        load_weights(path, "model", torch.nn.Linear(2, 2))


def test_two_runs_of_one_name_cannot_share_a_folder(tmp_path):
    first = Run.create(tmp_path / "same")
    with pytest.raises(ConfigError, match="in use by another run"):
        Run.create(tmp_path / "same")
    first.release()
    Run.create(tmp_path / "same").release()  # free again once the first run has ended


def test_a_killed_runs_temporaries_are_cleaned_on_resume(trained_run, tmp_path):
    run_dir = tmp_path / "killed"
    run_dir.mkdir()
    (run_dir / Run.CONFIG).write_text((trained_run / Run.CONFIG).read_text())
    stale = run_dir / ".last.abc123.part.pt"
    stale.write_bytes(b"x" * 1000)
    Run.create(run_dir, resume=True).release()
    assert not stale.exists() and (run_dir / Run.CONFIG).exists()


def test_a_stop_during_the_last_validation_is_honoured(tmp_path, monkeypatch):
    import distill.core.engine.loop as loop

    real = loop.evaluate
    calls = []

    def signalled(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the third epoch's validation: the stage's last
            os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "evaluate", signalled)
    assert cli("run", *TINY_RUN, "--out", tmp_path, "--name", "stopped") == 130
    run = Run.open(tmp_path / "stopped")
    assert run.test is None and run.status == "interrupted"
    assert [r["epoch"] for r in run.rows()] == [1, 2, 3]  # the epoch was finished and saved
    monkeypatch.setattr(loop, "evaluate", real)
    assert cli("run", "--resume", run.path, "--quiet") == 0
    assert Run.open(run.path).status == "finished"


def test_resume_applies_safe_changes_and_refuses_the_others(trained_run, tmp_path, capsys):
    run_dir = tmp_path / "more"
    assert cli("run", *TINY_RUN, "--out", tmp_path, "--name", "more") == 0
    assert cli("run", "--resume", run_dir, "--student", "unext", "--quiet") == 2
    assert "cannot change student" in capsys.readouterr().err
    assert cli("run", "--resume", run_dir, "--set", "train.batch_size=2", "--quiet") == 2
    assert "train.batch_size" in capsys.readouterr().err
    assert cli("run", "--resume", run_dir, "--epochs", "4", "--quiet") == 0
    run = Run.open(run_dir)
    assert [r["epoch"] for r in run.rows()] == [1, 2, 3, 4]
    assert run.config.train.epochs == 4  # recorded


def test_an_unreadable_stored_teacher_is_trained_again(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))
    args = [*WITH_TEACHER, "--epochs", "1", "--out", tmp_path / "runs", "--quiet"]
    assert cli("run", *args, "--name", "first") == 0
    stored = Run.open(tmp_path / "runs" / "first").teacher_record(0)["source"]
    with open(stored, "wb") as handle:
        handle.write(b"not a checkpoint")
    assert cli("run", *args, "--name", "second") == 0
    rows = metric_rows(tmp_path / "runs" / "second")
    assert any(r["stage"] == "teacher:unet" for r in rows)
