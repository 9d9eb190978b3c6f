"""Guards: non-finite losses, code-carrying checkpoints, atomic writes, teacher reuse."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from tiny_run import NO_TEACHER, WITH_TEACHER, cli, final_summary, metric_rows, registered_distiller

from distill.core.engine import checkpoint
from distill.core.engine.checkpoint import load_checkpoint, save_atomic, write_atomic
from distill.core.errors import DistillError
from distill.core.interfaces import Distiller
from distill.core.run import Run


class ExplodingDistiller(Distiller):
    """Returns a NaN term from its third call on (a diverging loss)."""

    needs = frozenset()

    def __init__(self, params, student, teachers):
        super().__init__(params, student, teachers)
        self.calls = 0

    def forward(self, student, teachers, target):
        self.calls += 1
        value = torch.tensor(float("nan") if self.calls >= 3 else 0.0)
        return {"boom": value + 0 * student.logits.sum()}


@pytest.fixture
def exploding():
    with registered_distiller("exploding", ExplodingDistiller):
        yield


def test_non_finite_loss_stops_naming_term_and_step(exploding, tmp_path, capsys):
    code = cli(
        "run",
        *NO_TEACHER,
        "--distiller",
        "exploding",
        "--out",
        tmp_path,
        "--name",
        "nan",
        "--quiet",
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "'exploding/boom'" in err and "epoch 1, step 3" in err
    assert not (tmp_path / "nan" / "test_metrics.json").exists()


def test_checkpoint_needing_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"

    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    path.write_bytes(pickle.dumps({"model": Payload()}))
    with pytest.raises(DistillError, match="needs arbitrary code"):
        load_checkpoint(path)


def test_atomic_save_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_atomic({"w": torch.ones(3)}, path)

    def broken_save(obj, target):
        Path(target).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.torch, "save", broken_save)
    with pytest.raises(OSError):
        save_atomic({"w": torch.zeros(3)}, path)
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)["w"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_a_file_written_atomically_is_replaced_whole_or_not_at_all(tmp_path):
    """Killed while writing (SIGTERM, then SIGKILL), a report or checkpoint stays the last
    whole one, not half a new one."""
    target = tmp_path / "accuracy.json"
    target.write_text('{"rows": 1}\n')

    def killed_halfway(path):
        path.write_text('{"rows": ')
        raise KeyboardInterrupt("SIGTERM")

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, killed_halfway)
    assert json.loads(target.read_text()) == {"rows": 1}
    write_atomic(target, lambda path: path.write_text('{"rows": 2}\n'))
    assert json.loads(target.read_text()) == {"rows": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["accuracy.json"]  # the part went with it


@pytest.mark.slow
def test_trained_teacher_is_reused_and_retrained_on_request(tmp_path, monkeypatch):
    # its own store: other tests may have stored this teacher already
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))
    args = [*WITH_TEACHER, "--epochs", "1", "--out", tmp_path / "runs", "--quiet"]
    assert cli("run", *args, "--name", "first") == 0
    assert any(r["stage"] == "teacher:unet" for r in metric_rows(tmp_path / "runs" / "first"))
    assert cli("run", *args, "--name", "second") == 0
    assert not any(r["stage"] == "teacher:unet" for r in metric_rows(tmp_path / "runs" / "second"))
    first = Run.open(tmp_path / "runs" / "first").teacher_record(0)
    second = Run.open(tmp_path / "runs" / "second").teacher_record(0)
    assert first["key"] == second["key"] and first["source"] == second["source"]
    # Training the teacher in the same process must not shift the student's random stream:
    # the run that trained it and the run that reused it train the same student.
    losses = [
        [r["loss/total"] for r in metric_rows(tmp_path / "runs" / name) if r["stage"] == "student"]
        for name in ("first", "second")
    ]
    assert losses[0] == losses[1] and len(losses[0]) == 1
    assert final_summary(tmp_path / "runs" / "first") == final_summary(tmp_path / "runs" / "second")
    assert cli("run", *args, "--name", "third", "--retrain-teacher") == 0
    assert any(r["stage"] == "teacher:unet" for r in metric_rows(tmp_path / "runs" / "third"))
    # What decides only which files a run writes does not change the teacher: reused.
    files = [
        "--set",
        "teacher_train.resume_state=false",
        "--set",
        "teacher_train.checkpoint_every=0",
    ]
    assert cli("run", *args, "--name", "fourth", *files) == 0
    fourth = Run.open(tmp_path / "runs" / "fourth").teacher_record(0)
    assert fourth["key"] == first["key"]
    assert not any(r["stage"] == "teacher:unet" for r in metric_rows(tmp_path / "runs" / "fourth"))
