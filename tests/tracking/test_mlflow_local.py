"""MLflow without a server: the default local store, read back through MlflowClient."""

from __future__ import annotations

import socket
import time

import optuna
import pytest
from conftest import ROWS, finished_run, require

from distill.core.config import build_config
from distill.core.plugins import registry
from distill.core.tracking import LoggerSet, StudyInfo, TrialInfo, build_study_tracking

require("mlflow")
from mlflow import MlflowClient  # noqa: E402


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """One out folder, so one store (creating a SQLite store takes seconds)."""
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(autouse=True)
def _no_tracking_server(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def store(out) -> MlflowClient:
    return MlflowClient(f"sqlite:///{out / 'mlruns' / 'mlflow.db'}")


def mirror(run, status: str = "finished", params: dict | None = None) -> LoggerSet:
    logger = registry().get("logger", "mlflow").build(params or {})
    loggers = LoggerSet([("mlflow", logger)])
    loggers.start(run)
    for row in ROWS:
        loggers.row(row)
    loggers.finish(run, status)
    return loggers


def only_run(client: MlflowClient, experiment: str, name: str):
    found = client.search_runs(
        [client.get_experiment_by_name(experiment).experiment_id],
        filter_string=f"attributes.run_name = '{name}'",
    )
    assert len(found) == 1
    return found[0]


def test_a_run_lands_in_a_local_store_inside_the_out_folder(out):
    assert mirror(finished_run(out, "local")).failures == []
    client = store(out)
    run = only_run(client, "distill", "local")
    assert run.info.status == "FINISHED"
    assert run.data.params["train.lr"] == "0.002" and run.data.params["seed"] == "3"
    assert run.data.params["teachers.0.name"] == "swin"
    tags = run.data.tags
    assert (tags["student"], tags["distillers"], tags["preset"]) == ("mpdnet", "mpd", "quick")
    assert tags["mlflow.source.git.commit"] == "abc123"
    history = client.get_metric_history(run.info.run_id, "student/val/mDice")
    assert [(m.step, m.value) for m in history] == [(1, 0.30), (2, 0.45)]
    teacher = client.get_metric_history(run.info.run_id, "teacher:unet/loss/total")
    assert [m.step for m in teacher] == [1, 2]
    assert run.data.metrics["test/mDice"] == 0.5 and run.data.metrics["test/lesion/iou"] == 0.4
    top = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert top == {"curves.png", "report.md", "overlays", "bundle"}
    assert [a.path for a in client.list_artifacts(run.info.run_id, "bundle")] == [
        "bundle/distill.json"
    ]
    assert run.info.artifact_uri.startswith((out / "mlruns" / "artifacts").as_uri())


def test_a_failed_run_is_marked_failed_and_uploads_what_exists(out):
    run = finished_run(out, "broken")
    run.test, run.bundle = None, False
    mirror(run, status="failed", params={"experiment": "failures"})
    record = only_run(store(out), "failures", "broken")
    assert record.info.status == "FAILED"
    assert "test/mDice" not in record.data.metrics


def test_a_study_is_a_parent_run_with_a_child_run_per_trial(out):
    root = out  # the same store as the other tests: creating one costs seconds
    cfg = build_config({"out": str(root), "train": {"loggers": ["mlflow"]}})
    about = StudyInfo("tiny-study", cfg, {"trials": 2}, {"train.lr": '{"float_": [0.001, 0.01]}'})
    tracking = build_study_tracking(cfg)
    tracking.start(about)
    done = TrialInfo("tiny-study", 0, {"train.lr": 0.003})
    with tracking.trial(done):
        mirror(finished_run(root, "trial-0000"))
        done.value = 0.45
    pruned = TrialInfo("tiny-study", 1, {"train.lr": 0.009})
    with pytest.raises(optuna.TrialPruned), tracking.trial(pruned):
        pruned.state = "pruned"  # as the sweep's pruning callback does, before the run ends
        mirror(finished_run(root, "trial-0001"), status="failed")
        raise optuna.TrialPruned()
    about.best = done
    tracking.finish(about)
    assert tracking.failures == []

    client = store(root)
    experiment = client.get_experiment_by_name("distill").experiment_id
    parent = client.get_run(done.links["mlflow.parent"])
    assert (parent.info.run_name, parent.info.status) == ("tiny-study", "FINISHED")
    assert parent.data.params == {
        "sweep.trials": "2",
        "space.train.lr": '{"float_": [0.001, 0.01]}',
    }
    assert parent.data.metrics["best_value"] == 0.45 and parent.data.tags["best_trial"] == "0"
    history = client.get_metric_history(parent.info.run_id, "trial/value")
    assert [(m.step, m.value) for m in history] == [(0, 0.45)]
    children = client.search_runs(
        [experiment], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    seen = {
        c.info.run_name: (
            c.info.status,
            c.data.tags["trial.state"],
            c.data.params["trial.train.lr"],
        )
        for c in children
    }
    assert seen == {
        "trial-0000": ("FINISHED", "complete", "0.003"),
        "trial-0001": ("KILLED", "pruned", "0.009"),
    }

    again = build_study_tracking(cfg)  # the study continued later, or a second worker
    again.start(StudyInfo("tiny-study", cfg))
    later = TrialInfo("tiny-study", 2, {})
    with again.trial(later):
        pass
    assert later.links["mlflow.parent"] == parent.info.run_id


def test_a_dead_server_costs_the_run_nothing(out):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = finished_run(out, "unreachable")
    logger = registry().get("logger", "mlflow").build({"tracking_uri": f"http://127.0.0.1:{port}"})
    loggers = LoggerSet([("mlflow", logger)], quiet=True)
    began = time.perf_counter()
    loggers.start(run)
    for _ in range(50):
        for row in ROWS:
            loggers.row(row)
    queued = time.perf_counter() - began
    loggers.finish(run, "finished")
    total = time.perf_counter() - began
    assert queued < 0.1, f"200 rows took {queued:.3f} s to hand over"
    assert total < 20, f"the run's end waited {total:.1f} s for a dead server"
    assert len(loggers.failures) == 1 and loggers.failures[0].startswith("mlflow: failed at start")
