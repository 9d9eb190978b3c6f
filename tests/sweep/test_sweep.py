"""`distill sweep`: one command, teacher trained once, resumable, validated spaces."""

from __future__ import annotations

import json
import signal
import time

import optuna
import pytest
import sqlalchemy
import yaml
from sweep_args import BASE, SPACE, worker

from distill.cli.app import run_app
from distill.core.config import RunConfig


def rows(run_dir):
    path = run_dir / "metrics.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.slow
def test_sweep_trains_teacher_once_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path / "cache"))  # no teacher stored yet
    out = tmp_path / "sweep"
    args = [
        "sweep",
        *BASE,
        "--teacher",
        "unet",
        "--set",
        "teacher.base_width=4",
        "--teacher-epochs",
        "1",
        "--distiller",
        "kd",
        "--out",
        out,
        "--trials",
        "2",
    ]
    assert run_app([str(a) for a in args]) == 0
    study = optuna.load_study(study_name="sweep", storage=f"sqlite:///{out / 'study.db'}")
    assert len(study.trials) == 2
    teacher_rows = [
        any(r["stage"].startswith("teacher") for r in rows(out / "trials" / d))
        for d in ("trial-0000", "trial-0001")
    ]
    assert teacher_rows == [True, False]  # the second trial reused the stored teacher
    for t in study.trials:
        assert t.user_attrs["run_dir"].endswith(f"trial-{t.number:04d}")
        assert sorted(t.intermediate_values) == [0, 1]  # val mDice reported every epoch
    assert sorted(study.trials[0].params) == [
        "distiller.temperature",
        "distiller.weight",
        "student.fusion",
        "train.lr",
    ]

    assert run_app([str(a) for a in args[:-1]] + ["3"]) == 0  # same command: continues
    study = optuna.load_study(study_name="sweep", storage=f"sqlite:///{out / 'study.db'}")
    assert len(study.trials) == 3
    best = RunConfig.model_validate(yaml.safe_load((out / "best_config.yaml").read_text()))
    assert best.distillers[0].name == "kd"
    # trials are retried, never resumed: no resume state; the best config keeps the user's
    trial = out / "trials" / "trial-0000"
    assert (trial / "best.pt").exists() and not list(trial.glob("*last.pt"))
    assert best.train.resume_state and best.teacher_train.resume_state
    assert (out / "optimization_history.png").stat().st_size > 1000
    assert (out / "param_importances.png").exists()


def test_bad_space_fails_before_the_first_trial(tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text(
        "distiller.weight_feature: {float: [0.1, 10]}\nstudent.fusion: {choices: [add, sum]}\n"
    )
    code = run_app(
        ["sweep", *BASE, "--distiller", "none", "--space", str(space), "--out", str(tmp_path / "s")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "search space path 'distiller.weight_feature'" in err
    assert not (tmp_path / "s" / "trials").exists()


def shared_study(tmp_path, url: str, study: str, trials: int, *extra: str) -> list:
    """Arguments of a worker of a PostgreSQL-backed sweep, as several would start it."""
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    return [
        *BASE,
        *extra,
        "--distiller",
        "none",
        "--space",
        space,
        "--storage",
        url,
        "--study",
        study,
        "--out",
        tmp_path / "sweep",
        "--trials",
        str(trials),
        "--heartbeat",
        "1",
    ]


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_share_one_postgres_study(postgres_url, tmp_path):
    common = shared_study(tmp_path, postgres_url, "shared", 4)
    workers = [worker(*common) for _ in range(2)]
    for w in workers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    finished = [t for t in study.trials if t.state.is_finished()]
    assert len(finished) >= 4
    dirs = [t.user_attrs["run_dir"] for t in study.trials]
    assert len(dirs) == len(set(dirs))  # every trial ran exactly once, in its own folder


@pytest.mark.slow
@pytest.mark.postgres
def test_killed_worker_trial_is_retried(postgres_url, tmp_path):
    common = shared_study(tmp_path, postgres_url, "killed", 2, "--epochs", "6")
    first = worker(*common)
    storage = optuna.storages.RDBStorage(postgres_url)
    deadline = time.monotonic() + 300
    while True:
        try:
            study = optuna.load_study(study_name="killed", storage=storage)
            # Optuna never counts a trial that died before its first heartbeat as stale
            if running_with_heartbeat(storage, study):
                break
        except KeyError:
            pass
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(4)  # past the grace period of 3 heartbeats
    second = worker(*common)
    _, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="killed", storage=storage)
    states = [t.state for t in study.trials]
    assert states.count(optuna.trial.TrialState.FAIL) == 1
    retried = [t for t in study.trials if "failed_trial" in t.system_attrs]
    assert retried and retried[0].state.is_finished()
    assert (
        sum(s in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for s in states)
        == 2
    )


@pytest.mark.parametrize("error", ["IntegrityError", "ProgrammingError"])
def test_a_worker_that_loses_the_schema_race_retries(tmp_path, monkeypatch, error):
    """Two workers on a fresh PostgreSQL database both create optuna's tables; the loser
    sees a duplicate row or a duplicate table (both seen in CI) and must simply retry."""
    import sqlalchemy

    from distill.core.sweep import study

    real, tries = study.RDBStorage, []

    def racing_storage(url, **kwargs):
        tries.append(url)
        if len(tries) == 1:
            raise getattr(sqlalchemy.exc, error)("CREATE TABLE studies", {}, Exception("exists"))
        return real(url, **kwargs)

    monkeypatch.setattr(study, "RDBStorage", racing_storage)
    monkeypatch.setattr(study.time, "sleep", lambda seconds: None)
    settings = study.SweepSettings(out=tmp_path, trials=1, study_name="race")
    assert isinstance(study.make_storage(settings), real) and len(tries) == 2


def running_with_heartbeat(storage: optuna.storages.RDBStorage, study: optuna.Study) -> bool:
    """A running trial of this study (the server holds other tests' studies too) that has
    recorded a heartbeat."""
    query = sqlalchemy.text(
        "SELECT count(*) FROM trial_heartbeats h JOIN trials t ON h.trial_id = t.trial_id "
        "WHERE t.study_id = :study AND t.state = 'RUNNING'"
    )
    with storage.engine.connect() as connection:
        return connection.execute(query, {"study": study._study_id}).scalar() > 0
