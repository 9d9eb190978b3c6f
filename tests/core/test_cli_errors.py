"""One clear line and the right exit code for every kind of mistake."""

from __future__ import annotations

import pytest

from distill.cli.app import run_app


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["run", "--student", "unett"], 2, "unknown student 'unett'. Did you mean 'unet'?"),
        (["run", "--set", "train.lr=fast"], 2, "field 'train.lr'"),
        (["run", "--set", "train.lrr=1"], 2, "did you mean 'lr'?"),
        (["run", "--set", "student.fusion=sum"], 2, "unknown fusion 'sum'"),
        (["run", "--size", "100", "100"], 2, "multiples of 32"),
        (["run", "--distiller", "kd", "--set", "teachers=[]"], 2, "need a teacher"),
        (["config", "show", "--preset", "fast"], 2, "unknown preset 'fast'"),
        (["run", "--config", "missing.yaml"], 2, "does not exist"),
        (["frobnicate"], 2, "No such command"),
        (["eval", "not-a-run-dir"], 2, "not a run folder"),
    ],
)
def test_mistakes_give_one_clear_line_and_exit_code(
    argv, code, text, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert run_app(argv) == code
    err = capsys.readouterr().err
    assert text in err
    assert "Traceback" not in err


def test_runtime_failure_exits_1(capsys, tmp_path):
    code = run_app(
        [
            "run",
            "--dataset",
            "isic2017",
            "--data-root",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 1
    assert "nowhere" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path):
    from distill.core.errors import ConfigError

    with pytest.raises(ConfigError):
        run_app(["run", "--student", "unett", "--debug"])
