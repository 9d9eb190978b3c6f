"""Tracker failures: each printed once as a warning and kept, so the report can note that a
tracker's copy of the run is incomplete while the run folder is not."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

MESSAGE_CHARS = 300  # of an exception's text (a server's error can be a page of HTML)


class Failures:
    """A thread-safe list of ``"<logger>: <what happened>"`` lines."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def add(self, name: str, text: str) -> None:
        with self._lock:
            self.lines.append(f"{name}: {text}")
        if not self.quiet:
            print(
                f"distill: warning: logger '{name}' {text}; the run folder is complete",
                file=sys.stderr,
            )

    def handler(self, name: str) -> Callable[[str, BaseException], None]:
        """An ``on_error(what, exc)`` for one logger's :class:`Worker`."""

        def failed(what: str, exc: BaseException) -> None:
            self.add(name, f"failed at {what} ({describe(exc)}); switched off")

        return failed


def describe(exc: BaseException) -> str:
    """``Type: message`` on one line, cut to :data:`MESSAGE_CHARS`."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."
