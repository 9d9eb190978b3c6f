"""The interface a tracker implements: the three calls a run folder's mirror receives.

A logger never owns anything: the run folder is the record of truth and the logger copies
what is written there. ``distill.core.run.Run`` calls a :class:`~distill.core.tracking.LoggerSet`,
which runs each logger on its own thread, so a logger may block (a slow server) without
slowing training, and may raise (a dead server) without failing the run.

A plugin registers a subclass through ``distill_register_loggers``; its constructor takes
the validated ``Params`` and should fail there, in the caller's thread, for anything that
can be checked before training (a missing package), so the user hears of it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from distill.core.run import Run


class LoggerParams(BaseModel):
    """Base of every logger's parameters: unknown fields are errors, as for components."""

    model_config = ConfigDict(extra="forbid")


class Logger:
    """A tracker that mirrors one run. Override what the tracker uses; the rest do nothing.

    Calls arrive in order on one thread: ``start`` once, ``row`` for every metrics row as
    written to ``metrics.jsonl``, ``finish`` once, after the test metrics, curves, overlays
    and report exist.
    """

    Params: type[BaseModel] = LoggerParams

    def __init__(self, params: BaseModel) -> None:
        self.params = params

    def start(self, run: Run) -> None:
        """The run began: ``run.path``, ``run.config`` (resolved) and ``run.tags`` are set."""

    def row(self, row: dict[str, Any]) -> None:
        """One metrics row: ``stage``, ``epoch`` and numbers (``loss/...``, ``val/...``, ...)."""

    def finish(self, run: Run, status: str) -> None:
        """The run ended with ``status`` (finished, failed, interrupted); ``run.test`` and
        ``run.artifacts()`` hold its results where it got that far."""
