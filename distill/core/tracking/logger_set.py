"""LoggerSet: the one mirror a Run attaches, fanning out to every configured tracker.

A tracker must never fail or slow a run: each logger runs on its own :class:`Worker`
thread; the first exception a logger raises (server down, request refused, disk full)
prints one warning, switches that logger off and is kept in :attr:`LoggerSet.failures`
so the report can say the tracker's copy is incomplete. ``finish`` waits a bounded time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from distill.core.tracking.failures import Failures
from distill.core.tracking.logger import Logger
from distill.core.tracking.worker import Worker

if TYPE_CHECKING:
    from distill.core.run import Run

FINISH_TIMEOUT = 30.0  # seconds a run's end may wait for its trackers, all together


class LoggerSet:
    """Several named loggers behind the ``RunMirror`` interface (``start/row/finish``)."""

    def __init__(
        self,
        loggers: Iterable[tuple[str, Logger]] = (),
        *,
        finish_timeout: float = FINISH_TIMEOUT,
        capacity: int = 1000,
        quiet: bool = False,
    ) -> None:
        self.loggers = dict(loggers)
        self.finish_timeout = finish_timeout
        self._failures = Failures(quiet)
        self._workers = {
            name: Worker(name, self._failures.handler(name), capacity) for name in self.loggers
        }

    @property
    def failures(self) -> list[str]:
        """One line per tracker that failed: ``"mlflow: failed at row (...); switched off"``."""
        return list(self._failures.lines)

    @property
    def names(self) -> list[str]:
        return list(self.loggers)

    def __len__(self) -> int:
        return len(self.loggers)

    def start(self, run: Run) -> None:
        self._each("start", run)

    def row(self, row: dict[str, Any]) -> None:
        self._each("row", dict(row))  # a copy: the caller may reuse its dict

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued row has reached its tracker, so ``failures`` is current
        (call before writing the report); False if a tracker is still busy at ``timeout``."""
        deadline = time.monotonic() + (self.finish_timeout if timeout is None else timeout)
        done = [w.wait(max(0.0, deadline - time.monotonic())) for w in self._workers.values()]
        return all(done)

    def finish(self, run: Run, status: str) -> None:
        """Hand every tracker the end of the run, then wait at most ``finish_timeout`` s."""
        self._each("finish", run, status)
        deadline = time.monotonic() + self.finish_timeout
        for name, worker in self._workers.items():
            if not worker.close(max(0.0, deadline - time.monotonic())):
                self._failures.add(
                    name,
                    f"was still busy {self.finish_timeout:g} s after the run ended and was "
                    "left behind; its copy may lack the end of the run",
                )

    def _each(self, method: str, *args: Any) -> None:
        for name, logger in self.loggers.items():
            self._workers[name].submit(method, getattr(logger, method), *args)
