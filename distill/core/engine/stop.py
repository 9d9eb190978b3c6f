"""SIGINT and SIGTERM during a run: honoured at any point, after saving what can be saved.

While a run is under way the two signals only set a flag; the training loop checks it after
every step and after every validation (it then writes its resume state), and the run checks
it between its phases. Either way the run ends with :class:`Interrupted` (exit code 130).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from distill.core.errors import DistillError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(DistillError):
    """SIGINT/SIGTERM: what could be saved was saved; ``--resume`` continues."""

    exit_code = 130


class StopRequests:
    """The signal received, if any; ``check`` raises once one has arrived."""

    def __init__(self) -> None:
        self.signal: int | None = None

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def interrupt(self, detail: str) -> None:
        name = signal.Signals(self.signal).name if self.signal else "stop"
        raise Interrupted(f"{name}: {detail}")

    def check(self, where: str) -> None:
        if self.requested:
            self.interrupt(f"stopped {where}; continue with --resume")


@contextmanager
def stop_requests() -> Iterator[StopRequests]:
    """Turn SIGINT/SIGTERM into a flag for the span of a run (main thread only: a run in a
    worker thread keeps the process's handlers)."""
    stop = StopRequests()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: Any) -> None:
        stop.signal = signum

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
