"""The sweep loop: each trial is an ordinary run folder; Optuna decides what to try next.

The teacher is trained by the first trial and stored under its key; every later trial (and
every worker sharing the study) reuses it, so a trial pays only for its student. Trials
report validation mDice every epoch and the pruner stops poor ones early. Running the same
command again continues the same study up to ``trials`` finished trials.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import optuna
import sqlalchemy.exc
from optuna.storages import RDBStorage
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

from distill.core.config import build_config, parse_override, to_yaml
from distill.core.engine.loop import NonFiniteLossError
from distill.core.sweep.space import Space
from distill.core.tracking import StudyInfo, TrialInfo, build_study_tracking

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


@dataclass
class SweepSettings:
    out: Path
    trials: int
    study_name: str
    storage: str | None = None
    pruner: Literal["median", "hyperband", "none"] = "median"
    seed: int = 0
    heartbeat: int = 10


def make_storage(settings: SweepSettings) -> RDBStorage:
    """SQLite in the output folder by default; any SQLAlchemy URL (PostgreSQL) for workers
    on many machines. Heartbeats mark a dead worker's trial failed; it is then retried."""
    url = settings.storage or f"sqlite:///{(settings.out / 'study.db').resolve()}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback"):  # optuna >= 4.9
            retry = {
                "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=3
                )
            }
        else:
            retry = {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(3)}
        for attempt in range(5):
            try:
                return RDBStorage(
                    url,
                    heartbeat_interval=settings.heartbeat,
                    grace_period=3 * settings.heartbeat,
                    engine_kwargs={"pool_pre_ping": True} if url.startswith("postgresql") else None,
                    **retry,
                )
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
                # Workers started together race to create the schema (PostgreSQL reports
                # a duplicate row or a duplicate table); the loser retries and finds it made.
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))


def make_pruner(kind: str) -> optuna.pruners.BasePruner:
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1)
    if kind == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)


def open_study(settings: SweepSettings) -> optuna.Study:
    settings.out.mkdir(parents=True, exist_ok=True)
    return optuna.create_study(
        study_name=settings.study_name,
        storage=make_storage(settings),
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=settings.seed),
        pruner=make_pruner(settings.pruner),
        load_if_exists=True,
    )


def trial_overrides(trial: optuna.Trial, space: Space) -> list[str]:
    return [f"{path}={json.dumps(dim.sample(trial, path))}" for path, dim in space.items()]


def run_sweep(
    base: dict[str, Any], space: Space, settings: SweepSettings, quiet: bool = True
) -> optuna.Study:
    from distill.core.engine.experiment import run_experiment

    study = open_study(settings)
    # Trackers: a parent record per study (MLflow), the trials' runs nest under it.
    trials_cfg = build_config({**base, "out": str(settings.out / "trials")})
    tracking = build_study_tracking(trials_cfg)
    about = StudyInfo(
        settings.study_name,
        trials_cfg,
        space=space_facts(space),
        settings={"trials": settings.trials, "pruner": settings.pruner, "seed": settings.seed},
    )
    tracking.start(about)

    def objective(trial: optuna.Trial) -> float:
        overrides = trial_overrides(trial, space)
        name = f"trial-{trial.number:04d}"
        # A trial is never resumed (a dead worker's trial is retried from the start), so it
        # writes no resume state: for a large model that is GBs per epoch.
        stages = {k: {**base.get(k, {}), "resume_state": False} for k in ("train", "teacher_train")}
        where = {"out": str(settings.out / "trials"), "name": name}
        cfg = build_config({**base, **where, **stages}, overrides)
        trial.set_user_attr("run_dir", str(settings.out / "trials" / name))
        trial.set_user_attr("overrides", overrides)
        info = TrialInfo(settings.study_name, trial.number, dict(map(parse_override, overrides)))

        def report(epoch: int, val_mdice: float) -> None:
            trial.report(val_mdice, epoch)
            if trial.should_prune():
                info.state = "pruned"  # before the run ends: its trackers record it
                raise optuna.TrialPruned(f"pruned at epoch {epoch + 1}")

        with tracking.trial(info):
            info.value = run_experiment(cfg, quiet=quiet, on_epoch=report).best_val
        return info.value

    # A diverging trial (non-finite loss) fails alone; the sweep goes on.
    try:
        study.optimize(
            objective,
            callbacks=[MaxTrialsCallback(settings.trials, states=FINISHED)],
            catch=(NonFiniteLossError,),
        )
    finally:
        about.best = best_trial(study)
        tracking.finish(about)
    return study


def space_facts(space: Space) -> dict[str, str]:
    """Each searched path and its range, as trackers show it."""
    return {
        path: json.dumps(dim.model_dump(exclude_none=True, exclude_defaults=True))
        for path, dim in space.items()
    }


def best_trial(study: optuna.Study) -> TrialInfo | None:
    """The best complete trial so far (of any worker), for the trackers' study record."""
    done = [t for t in study.trials if t.state == TrialState.COMPLETE and t.value is not None]
    if not done:
        return None
    best = max(done, key=lambda t: t.value)
    params = dict(map(parse_override, best.user_attrs.get("overrides", [])))
    return TrialInfo(study.study_name, best.number, params, "complete", best.value)


def best_config_yaml(study: optuna.Study, base: dict[str, Any]) -> str:
    """The best trial as a config file `distill run --config` accepts."""
    best = study.best_trial
    cfg = build_config(
        {k: v for k, v in base.items() if k not in ("name",)}, best.user_attrs.get("overrides", [])
    )
    return to_yaml(cfg.model_copy(update={"name": None}))
