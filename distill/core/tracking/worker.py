"""One tracker's calls, run in order on a thread of its own behind a bounded queue.

Why a thread: a tracking server that is slow or gone makes every call wait for its
timeouts and retries (MLflow's client retries for minutes by default). The training loop
only puts a call in the queue, which never blocks; a full queue means the tracker cannot
keep up, and it is switched off rather than let memory grow or training wait.

The thread runs in a copy of the caller's ``contextvars`` context taken when the first
call arrives, so what the caller knew then (the sweep trial being run) reaches the tracker.
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

Call = tuple[str, Callable[..., Any], tuple[Any, ...]]
OnError = Callable[[str, BaseException], None]


class Worker:
    """Runs ``fn(*args)`` calls in order; after the first error it drops every later call."""

    def __init__(self, name: str, on_error: OnError, capacity: int = 1000) -> None:
        self.name = name
        self.on_error = on_error
        self.failed = False
        self._queue: queue.Queue[Call | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None

    def submit(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        """Queue a call without waiting; ``what`` names it in an error message."""
        if self.failed:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait((what, fn, args))
        except queue.Full:
            size = self._queue.maxsize
            self._fail(what, RuntimeError(f"{size} calls waiting: the tracker cannot keep up"))

    def wait(self, timeout: float) -> bool:
        """Block until every queued call has run (or been dropped), at most ``timeout`` s."""
        if self._thread is None:
            return True
        done = threading.Event()
        try:
            self._queue.put((("wait", done.set, ())), timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self, timeout: float) -> bool:
        """Run what is queued, then stop the thread; False if it is still busy at ``timeout``
        (it is a daemon thread: it cannot keep the process alive)."""
        if self._thread is None:
            return True
        deadline = time.monotonic() + timeout
        try:
            self._queue.put(None, timeout=max(0.0, timeout))
        except queue.Full:
            return False
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            context = contextvars.copy_context()
            self._thread = threading.Thread(
                target=context.run, args=(self._loop,), name=f"distill-{self.name}", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        while (call := self._queue.get()) is not None:
            what, fn, args = call
            if what == "wait":
                fn()
            elif not self.failed:
                try:
                    fn(*args)
                except Exception as exc:  # noqa: BLE001 - a tracker never fails the run
                    self._fail(what, exc)

    def _fail(self, what: str, exc: BaseException) -> None:
        if not self.failed:
            self.failed = True
            self.on_error(what, exc)
