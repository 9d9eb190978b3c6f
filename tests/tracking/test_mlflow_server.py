"""Real runs and a real sweep logged to a real ``mlflow server``, read back with MlflowClient;
and a server stopped in the middle of a run, which still finishes with a complete folder."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import optuna
import pytest
from conftest import require
from mlflow_server import MlflowServer

from distill.cli.app import run_app
from distill.cli.options import config_from_options
from distill.core.engine.experiment import run_experiment
from distill.core.run import Run
from tests.tiny_args import tiny_run_args

require("mlflow")
from mlflow import MlflowClient  # noqa: E402

pytestmark = pytest.mark.xdist_group("mlflow-server")  # one worker starts the servers

TINY = tiny_run_args(epochs=2, counts=(8, 2, 2), sets=("eval.overlays=2",))


@pytest.fixture(scope="session")  # not module: xdist interleaves other modules' tests
def launched(tmp_path_factory):
    """One server for these tests (starting one costs 15-40 s): the tests that read back
    come first, the one that stops it mid-run last; a test after that gets a new one."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow")).launch()
    yield server
    server.stop()


@pytest.fixture
def server(launched: MlflowServer) -> MlflowServer:
    if launched.process is not None and launched.process.poll() is not None:
        launched.launch()  # stopped by an earlier test: the same store, a fresh process
    try:
        return launched.wait()
    except RuntimeError as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"cannot start an mlflow server here: {err}")


def cli(*args) -> int:
    return run_app([str(a) for a in args])


def rows(folder: Path, stage: str = "student") -> list[dict]:
    return [r for r in Run.open(folder).rows() if r["stage"] == stage]


def by_name(client: MlflowClient, name: str):
    experiment = client.get_experiment_by_name("distill").experiment_id
    found = client.search_runs([experiment], filter_string=f"attributes.run_name = '{name}'")
    assert len(found) == 1, f"{len(found)} runs named {name}"
    return found[0]


def test_a_run_is_mirrored_to_the_server(server, tmp_path):
    url = f"train.loggers.mlflow.tracking_uri={server.url}"
    assert (
        cli(
            "run",
            *TINY,
            "--out",
            tmp_path,
            "--name",
            "served",
            "--log-to",
            "mlflow",
            "--set",
            url,
            "--quiet",
        )
        == 0
    )
    folder = tmp_path / "served"
    client = MlflowClient(server.url)
    run = by_name(client, "served")
    assert run.info.status == "FINISHED"
    assert run.data.params["data.size"] == "[32, 32]"
    assert run.data.params["student.base_width"] == "4"
    assert run.data.tags["student"] == "unet" and run.data.tags["dataset"] == "synthetic-derm"
    history = client.get_metric_history(run.info.run_id, "student/val/mDice")
    assert [(m.step, m.value) for m in history] == [
        (r["epoch"], r["val/mDice"]) for r in rows(folder)
    ]
    summary = json.loads((folder / "test_metrics.json").read_text())["summary"]
    assert run.data.metrics["test/mDice"] == pytest.approx(summary["mDice"])
    listed = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"curves.png", "report.md", "overlays"} <= listed
    copy = client.download_artifacts(run.info.run_id, "report.md", str(tmp_path))
    assert Path(copy).read_text() == (folder / "report.md").read_text()


def test_a_sweep_is_a_parent_run_with_a_child_per_trial(server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    space = tmp_path / "space.yaml"
    space.write_text("train.lr: {float: [0.001, 0.01], log: true}\n")
    out = tmp_path / "tiny-sweep"
    assert (
        cli(
            "sweep",
            *TINY,
            "--space",
            space,
            "--trials",
            "2",
            "--pruner",
            "none",
            "--out",
            out,
            "--log-to",
            "mlflow",
        )
        == 0
    )
    study = optuna.load_study(study_name="tiny-sweep", storage=f"sqlite:///{out / 'study.db'}")
    client = MlflowClient(server.url)
    parent = by_name(client, "tiny-sweep")
    assert parent.data.tags["distill.role"] == "study"
    assert parent.data.params["sweep.trials"] == "2"
    assert parent.data.metrics["best_value"] == pytest.approx(study.best_value)
    values = client.get_metric_history(parent.info.run_id, "trial/value")
    assert sorted(m.step for m in values) == [0, 1]
    experiment = client.get_experiment_by_name("distill").experiment_id
    children = client.search_runs(
        [experiment], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert sorted(c.info.run_name for c in children) == ["trial-0000", "trial-0001"]
    for child in children:
        trial = study.trials[int(child.data.tags["trial.number"])]
        assert child.info.status == "FINISHED" and child.data.tags["trial.state"] == "complete"
        assert float(child.data.params["trial.train.lr"]) == pytest.approx(trial.params["train.lr"])
        assert float(child.data.params["train.lr"]) == pytest.approx(trial.params["train.lr"])
        assert child.data.metrics["trial/value"] == pytest.approx(trial.value)
        assert {a.path for a in client.list_artifacts(child.info.run_id)} >= {"report.md"}


def test_a_server_stopped_mid_run_costs_one_warning_and_nothing_else(server, tmp_path, capfd):
    cfg = config_from_options(
        student="unet",
        distiller=["none"],
        size=(32, 32),
        epochs=2,
        out=tmp_path,
        name="orphaned",
        log_to=["mlflow"],
        set_=[*_sets(TINY), f"train.loggers.mlflow.tracking_uri={server.url}"],
    )
    client = MlflowClient(server.url)

    def stop_after_first_epoch(epoch: int, score: float) -> None:
        if epoch == 0:
            wait_for_metric(client, "orphaned", "student/val/mDice")
            server.stop()

    result = run_experiment(cfg, quiet=True, on_epoch=stop_after_first_epoch)
    warnings = [x for x in capfd.readouterr().err.splitlines() if "logger 'mlflow'" in x]
    assert len(warnings) == 1 and "failed at row" in warnings[0], warnings
    folder = result.run_dir
    assert Run.open(folder).status == "finished"
    assert [r["epoch"] for r in rows(folder)] == [1, 2]
    for name in ("test_metrics.json", "report.md", "curves.png", "student.safetensors"):
        assert (folder / name).is_file(), name
    assert "tracking failures" in (folder / "report.md").read_text()
    assert Run.open(folder).record()["tracking_failures"]
    stored = MlflowClient(f"sqlite:///{server.db}")  # what the server kept before it died
    history = stored.get_metric_history(
        by_name(stored, "orphaned").info.run_id, "student/val/mDice"
    )
    assert [m.step for m in history] == [1]


def _sets(args: list[str]) -> list[str]:
    """The ``--set`` values of a CLI argument list, for a config built in Python."""
    return [args[i + 1] for i, a in enumerate(args) if a == "--set"]


def wait_for_metric(client: MlflowClient, run_name: str, key: str, timeout: float = 60) -> None:
    """Until the run's first row reached the server (the logger sends from its own thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        experiment = client.get_experiment_by_name("distill")
        found = experiment and client.search_runs(
            [experiment.experiment_id], filter_string=f"attributes.run_name = '{run_name}'"
        )
        if found and key in found[0].data.metrics:
            return
        time.sleep(0.2)
    raise AssertionError(f"{key} of {run_name} never reached the server")
