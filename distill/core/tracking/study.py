"""The sweep-level side of tracking: one parent record per study, told of every trial.

A logger class that has something to record per study (MLflow: a parent run holding the
trials as child runs) sets a ``Study`` class attribute: a :class:`StudyLogger` built from
the same validated params. Loggers without one still record each trial, as a run.
Study loggers are isolated like run loggers: one warning, switched off, noted in
:attr:`StudyTracking.failures`; each call waits at most ``timeout`` seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from distill.core.tracking.failures import Failures
from distill.core.tracking.trial import TrialInfo, trial_scope
from distill.core.tracking.worker import Worker

if TYPE_CHECKING:
    from distill.core.config import RunConfig


@dataclass
class StudyInfo:
    name: str
    config: RunConfig  # the trials' shared config (where their runs go, which trackers)
    settings: dict[str, Any] = field(default_factory=dict)  # trials, pruner, seed, ...
    space: dict[str, str] = field(default_factory=dict)  # config path -> its range, as text
    best: TrialInfo | None = None  # set before finish when a trial completed


class StudyLogger:
    """Override what the tracker records per study; the rest do nothing."""

    def __init__(self, params: Any) -> None:
        self.params = params

    def start(self, study: StudyInfo) -> None:
        """Before the first trial: create the study's record."""

    def trial_start(self, trial: TrialInfo) -> None:
        """Before a trial's run: put what its run loggers need in ``trial.links``."""

    def trial_end(self, trial: TrialInfo) -> None:
        """After a trial's run, with ``trial.state`` and ``trial.value`` final."""

    def finish(self, study: StudyInfo) -> None:
        """After the last trial of this worker."""


class StudyTracking:
    """The study loggers of a sweep, called in order with bounded waits."""

    def __init__(
        self, loggers: Iterable[tuple[str, StudyLogger]] = (), *, timeout: float = 30.0
    ) -> None:
        self.loggers = dict(loggers)
        self.timeout = timeout
        self._failures = Failures()
        self._workers = {n: Worker(n, self._failures.handler(n)) for n in self.loggers}

    @property
    def failures(self) -> list[str]:
        return list(self._failures.lines)

    def start(self, study: StudyInfo) -> None:
        self._call("start", study)

    @contextmanager
    def trial(self, info: TrialInfo) -> Iterator[TrialInfo]:
        """Run one trial: its loggers see ``info``; study loggers hear of its start and of
        its end, with its final state, also when it raised (pruned or failed)."""
        try:
            with trial_scope(info):
                self._call("trial_start", info)
                yield info
        finally:
            self._call("trial_end", info)

    def finish(self, study: StudyInfo) -> None:
        self._call("finish", study)
        for worker in self._workers.values():
            worker.close(self.timeout)

    def _call(self, method: str, *args: Any) -> None:
        for name, logger in self.loggers.items():
            worker = self._workers[name]
            worker.submit(method, getattr(logger, method), *args)
            if not worker.failed and not worker.wait(self.timeout):
                worker.failed = True
                self._failures.add(name, f"did not answer within {self.timeout:g} s; switched off")
