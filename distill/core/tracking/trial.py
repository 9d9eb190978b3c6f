"""The sweep trial being run, visible to that trial's loggers.

A trial is an ordinary run, so its loggers are built and called like any run's; what they
need from the sweep (the trial's number and sampled values, how it ended, the MLflow parent
run to nest under) travels in a :class:`TrialInfo` set for the duration of the trial. A
context variable rather than an argument: the engine between the sweep and the loggers
need not know that sweeps exist.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

TrialState = Literal["running", "complete", "pruned", "failed"]


@dataclass
class TrialInfo:
    study: str
    number: int
    params: dict[str, Any]  # the sampled values by config path: {"train.lr": 0.003}
    state: TrialState = "running"
    value: float | None = None  # the objective (best val mDice) once complete
    links: dict[str, Any] = field(default_factory=dict)  # e.g. {"mlflow.parent": run_id}


_CURRENT: ContextVar[TrialInfo | None] = ContextVar("distill_trial", default=None)


def current_trial() -> TrialInfo | None:
    """The trial this code runs for, or None outside a sweep."""
    return _CURRENT.get()


@contextmanager
def trial_scope(info: TrialInfo):
    """Make ``info`` the current trial; a trial that raises without a state is failed."""
    token = _CURRENT.set(info)
    try:
        yield info
    except BaseException:
        if info.state == "running":
            info.state = "failed"
        raise
    else:
        if info.state == "running":
            info.state = "complete"
    finally:
        _CURRENT.reset(token)


def final_state(trial: TrialInfo, status: str) -> TrialState:
    """How a trial ended, seen from its run's end: the sweep sets ``pruned`` before the run
    stops; otherwise a finished run is a complete trial and any other end a failed one."""
    if trial.state != "running":
        return trial.state
    return "complete" if status == "finished" else "failed"
