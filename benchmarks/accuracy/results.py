"""The grid's finished rows: appended to a JSON-lines file in the work folder, so that a
rerun skips what is done and a crash keeps what finished."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.accuracy.report import write_report

if TYPE_CHECKING:
    from benchmarks.accuracy.grid import Method


class Results:
    """Finished rows, appended to a JSON-lines file in the work folder (resumable), with the
    Markdown/JSON/PNG report rewritten as they come: in the background (``background``)
    where the runs train in worker processes, between runs where they train in this one."""

    def __init__(self, work: Path, out: Path, settings: dict[str, Any], fresh: bool,
                 background: bool = True) -> None:  # fmt: skip
        self.path = work / "rows.jsonl"
        self.out, self.settings = out, settings
        if fresh and self.path.exists():
            self.path.unlink()
        self.rows = [json.loads(x) for x in self.path.read_text().splitlines()] if (
            self.path.exists()
        ) else []  # fmt: skip
        self.started = time.perf_counter()
        self.refresher = Refresher(self.write, background)

    def done(self, dataset: str, seed: int, method: Method, budget: dict[str, Any]) -> bool:
        return any(
            r["dataset"] == dataset
            and r["seed"] == seed
            and r["method"] == method.label
            and r.get("method_overrides", []) == list(method.overrides)
            and r["budget"] == budget
            and "error" not in r
            for r in self.rows
        )

    def add(self, row: dict[str, Any]) -> None:
        self.rows = [
            r
            for r in self.rows
            if (r["dataset"], r["seed"], r["method"], json.dumps(r["budget"], sort_keys=True))
            != (
                row["dataset"],
                row["seed"],
                row["method"],
                json.dumps(row["budget"], sort_keys=True),
            )
        ] + [row]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(json.dumps(r) + "\n" for r in self.rows))
        self.refresher.request()

    def write(self, final: bool = False) -> dict[str, Any]:
        rows = self.rows  # replaced, never changed in place, by add(): a consistent snapshot
        return write_report(
            rows, self.settings, self.out, time.perf_counter() - self.started, final
        )

    def finish(self, final: bool = True) -> dict[str, Any]:
        """The last report, once no background rewrite is under way to overwrite it or be
        cut off half-written. ``final=False``: the suite was stopped, the rows so far."""
        self.refresher.close()
        return self.write(final)


class Refresher:
    """Calls ``write`` whenever asked, in a background thread (one call for any number of
    requests made meanwhile) or, without ``background``, at once.

    The loop that hands runs to free GPU slots must not wait for a report (1.5-3 s with 170
    rows, mostly the plot): while it waited after each row, the runs that ended meanwhile
    left their slots empty, and on an H200 with 12 at a time the slots were busy only 60% of
    the wall time. A run trained in this process must not have a report written beside it:
    pricing a model builds it from a reseeded global random stream, which changed the run
    under way (the same CPU grid gave a different mDice on each try)."""

    def __init__(self, write: Callable[[], object], background: bool = True) -> None:
        self.write = write
        self.wanted = threading.Event()
        self.closing = False
        self.thread: threading.Thread | None = None
        if background:
            self.thread = threading.Thread(target=self._serve, name="accuracy-report", daemon=True)
            self.thread.start()

    def request(self) -> None:
        if self.thread is None:
            self._write()
        else:
            self.wanted.set()

    def close(self) -> None:
        """Wait for a write under way; drop the requests not served (a final write follows)."""
        if self.thread is None:
            return
        self.closing = True
        self.wanted.set()
        self.thread.join()

    def _serve(self) -> None:
        while True:
            self.wanted.wait()
            if self.closing:
                return
            self.wanted.clear()
            self._write()

    def _write(self) -> None:
        try:
            self.write()
        except Exception as err:  # an interim report must not end the runs (finish() raises)
            print(f"report not rewritten: {type(err).__name__}: {err}", flush=True)
