"""`python -m benchmarks.accuracy` end to end in smoke mode: the table, resuming, variants,
bad options refused before training, and SIGTERM ending the workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from suite_outputs import assert_environment, read_outputs

from benchmarks.accuracy import cli

REPO = Path(__file__).resolve().parents[2]


def test_accuracy_suite_writes_the_table_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))  # it trains a teacher
    out, work = tmp_path / "out", tmp_path / "work"
    args = ["--quick", "--methods", "mpdnet+kd", "--teachers", "cnn", "--size", "32"]
    args += ["--set", "teacher.backbone=resnet18", "--counts", "4,2,2", "--batch", "2"]
    args += ["--epochs", "1", "--teacher-epochs", "1", "--out", str(out), "--work", str(work)]
    cli.main(args)
    data, markdown = read_outputs(out, "accuracy")
    assert data["status"] == "complete" and len(data["runs"]) == 1
    teacher, student = data["tables"]["synthetic-derm"]
    assert teacher["method"] == "cnn (teacher)" and student["method"] == "mpdnet+kd"
    assert 10 < teacher["params_m"] < 20  # resnet18 from --set, not the default resnet50
    assert student["seeds"] == 1 and "mDice_std" not in student  # no spread from one seed
    assert 0 <= student["mDice"] <= 100 and 0.5 < student["params_m"] < 1.39  # below MedT
    # the table is distill compare's, in Markdown and LaTeX
    assert "## synthetic-derm" in markdown
    assert "| Method | mIoU (%) | mDice (%) | shift mDice (%) | mASSD (px) |" in markdown
    assert "synthetic train/val/test = 4/2/2" in markdown
    tex = (out / "accuracy.tex").read_text().splitlines()
    (kd,) = [line for line in tex if line.startswith("mpdnet+kd &")]
    assert kd.startswith(rf"mpdnet+kd & \textbf{{{student['mIoU']:.2f}}} & ")
    assert not any(r"\textbf" in line for line in tex if line.startswith("cnn (teacher)"))
    assert_environment(data["settings"]["env"], markdown, "accuracy")
    (row,) = data["runs"]
    kept = sorted(p.name for p in (work / row["run_dir"]).glob("*.pt"))
    assert kept == ["best.pt", "teacher0_best.pt"]  # no resume states: a grid fills disks
    # validation scores overlap only (the best epoch reads val mDice); the table has mASSD
    epochs = [json.loads(line) for line in (work / row["run_dir"] / "metrics.jsonl").open()]
    assert epochs and all("val/mDice" in e and "val/mASSD" not in e for e in epochs)
    assert row["mASSD"] >= 0
    # out of distribution beside it: the student scored on synthetic-derm's shift split
    shift = json.loads((work / row["run_dir"] / "scores-shift.json").read_text())["summary"]
    assert shift["n_images"] == 80 and student["shift_mDice"] == pytest.approx(100 * shift["mDice"])
    # A rerun with the same settings finds every run done, trains nothing, same report.
    capsys.readouterr()
    again = cli.main(args)
    assert "0 of 1 runs to do" in capsys.readouterr().out
    assert again["tables"] == data["tables"]


@pytest.mark.slow
def test_parallel_accuracy_runs_train_each_teacher_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two worker processes: one distillation run trains the teacher while mpdnet (no
    teacher) runs beside it; the other starts only after, and reuses the stored teacher."""
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))  # no teacher stored yet
    args = ["--quick", "--methods", "mpdnet+kd,mpdnet+at,mpdnet", "--teachers", "cnn"]
    args += ["--set", "teacher.backbone=resnet18", "--size", "32", "--counts", "4,2,2"]
    args += ["--batch", "2", "--epochs", "1", "--teacher-epochs", "1", "--jobs", "2"]
    result = cli.main([*args, "--out", str(tmp_path / "out"), "--work", str(tmp_path)])
    assert result["status"] == "complete" and not result["failed"]

    def trained_a_teacher(row: dict) -> bool:
        epochs = (tmp_path / row["run_dir"] / "metrics.jsonl").read_text().splitlines()
        return any(json.loads(e)["stage"].startswith("teacher") for e in epochs)

    trained = [r["method"] for r in result["runs"] if trained_a_teacher(r)]
    assert trained == ["mpdnet+kd"]


def test_accuracy_variants_join_the_table_and_are_chosen_on_validation(
    tmp_path: Path, tiny_swin_params: dict
) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    args = ["--quick", "--methods", "mpdnet,mpdnet+dual", "--size", "64", "--counts", "4,2,2"]
    args += ["--batch", "2", "--epochs", "1", "--teacher-epochs", "1"]
    args += [f"--set=teacher.{k}={json.dumps(v)}" for k, v in tiny_swin_params.items()]
    args += ["--variant", "coarse=mpdnet+dual distiller.dual.strides=[16,32]"]
    args += ["--out", str(out), "--work", str(work)]
    result = cli.main(args)
    table = result["tables"]["synthetic-derm"]
    labels = [r["method"] for r in table]
    assert labels == ["swin (teacher)", "mpdnet", "mpdnet+dual", "mpdnet+dual@coarse"]
    variant = next(r for r in result["runs"] if r["method"] == "mpdnet+dual@coarse")
    assert not Path(variant["run_dir"]).is_absolute()  # results carry no machine paths
    resolved = yaml.safe_load((work / variant["run_dir"] / "config.yaml").read_text())
    assert resolved["distillers"][0]["strides"] == [16, 32]
    markdown = (out / "accuracy.md").read_text()
    assert "| mpdnet+dual@coarse | distiller.dual.strides=[16,32] |" in markdown
    assert "| mpdnet+dual | (defaults) |" in markdown
    assert "Distillation gain" in markdown and "ΔmDice vs mpdnet" in markdown
    duals = [r for r in table if r["method"].startswith("mpdnet+dual")]
    picked = max(duals, key=lambda r: r["val_mDice"])
    (check,) = [c for c in result["checks"] if c["check"].startswith("validation-selected")]
    assert check["detail"].startswith(f"{picked['method']}, best val mDice")


def test_runs_trained_one_after_another_score_as_each_trained_alone(tmp_path: Path) -> None:
    """One run at a time trains in the suite's own process: a run must not touch the next
    run's random stream."""
    args = ["--quick", "--size", "32", "--counts", "8,2,2", "--batch", "2", "--epochs", "3"]

    def unext(methods: str, name: str) -> list[float]:
        work = tmp_path / name
        result = cli.main(
            [*args, "--methods", methods, "--work", str(work), "--out", str(work / "out")]
        )
        return [r["mDice"] for r in result["runs"] if r["method"] == "unext"]

    assert unext("mpdnet,unext", "both") == unext("unext", "alone")


def test_a_shared_work_folder_reports_only_its_own_grid(tmp_path: Path) -> None:
    work = tmp_path / "work"
    args = ["--quick", "--size", "32", "--counts", "4,2,2", "--batch", "2", "--epochs", "1"]
    args += ["--work", str(work)]
    cli.main([*args, "--methods", "mpdnet", "--out", str(tmp_path / "a")])
    other = cli.main([*args, "--methods", "mpdnet", "--seeds", "2", "--out", str(tmp_path / "b")])
    assert [(r["method"], r["seed"]) for r in other["runs"]] == [("mpdnet", 0), ("mpdnet", 1)]
    assert len(list((work / "runs").iterdir())) == 2  # seed 0 was not trained again
    single = cli.main([*args, "--methods", "mpdnet", "--epochs", "2", "--out", str(tmp_path / "c")])
    assert single["status"] == "complete" and len(single["runs"]) == 1  # another budget


@pytest.mark.parametrize(
    "variant, message",
    [
        ("x=nosuch a=1", "unknown base method 'nosuch'"),
        ("x=mpdnet", "give one or more PATH=VALUE"),
        ("x/y=mpdnet train.lr=1", "use letters, digits"),
        ("x=mpdnet+dual distiller.dual.nosuch=1", "nosuch"),
    ],
)
def test_accuracy_rejects_bad_variants_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(
            [
                "--quick",
                "--methods",
                "mpdnet",
                "--size",
                "32",
                "--counts",
                "4,2,2",
                "--epochs",
                "1",
                "--variant",
                variant,
                "--work",
                str(tmp_path),
            ]
        )
    assert message in f"{exit_info.value} {capsys.readouterr().err}"
    assert not (tmp_path / "runs").exists()


def test_accuracy_rejects_unknown_methods(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--methods", "mpdnet,nosuch"])
    assert "unknown method(s) ['nosuch']" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.xdist_group("accuracy-sigterm")
def test_sigterm_ends_a_parallel_accuracy_suite_and_its_workers(tmp_path: Path) -> None:
    """`timeout` sends SIGTERM: the suite must exit and take its pool workers with it (idle
    workers of a dead parent otherwise live on and hold the caller's output pipe open)."""
    args = ["--quick", "--methods", "mpdnet,unext", "--size", "32", "--counts", "64,2,2"]
    args += ["--epochs", "50", "--jobs", "2", "--out", tmp_path / "out", "--work", tmp_path]
    env = {**os.environ, "DISTILL_QUIET": "1", "HF_HUB_OFFLINE": "1"}
    suite = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.accuracy", *map(str, args)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("runs/*/config.yaml")):  # a worker is training
        assert suite.poll() is None and time.monotonic() < deadline, suite.stdout.read()
        time.sleep(0.2)
    workers = child_pids(suite.pid)
    assert workers
    suite.send_signal(signal.SIGTERM)
    suite.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(map(running, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(running, workers)) and suite.returncode != 0
    # the report was written once more on the way out, complete files, saying it is partial
    report = json.loads((tmp_path / "out" / "accuracy.json").read_text())
    assert report["status"].startswith("partial: ")


def child_pids(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap orphans)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
