"""The grid's finished rows: appended to a JSON-lines file in the work folder, so that a
rerun skips what is done and a crash keeps what finished."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.accuracy.report import write_report

if TYPE_CHECKING:
    from benchmarks.accuracy.grid import Method


class Results:
    """Finished rows, appended to a JSON-lines file in the work folder (resumable), with the
    Markdown/JSON/PNG report rewritten after each one."""

    def __init__(self, work: Path, out: Path, settings: dict[str, Any], fresh: bool) -> None:
        self.path = work / "rows.jsonl"
        self.out, self.settings = out, settings
        if fresh and self.path.exists():
            self.path.unlink()
        self.rows = [json.loads(x) for x in self.path.read_text().splitlines()] if (
            self.path.exists()
        ) else []  # fmt: skip
        self.started = time.perf_counter()

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
        self.write()

    def write(self, final: bool = False) -> dict[str, Any]:
        return write_report(
            self.rows, self.settings, self.out, time.perf_counter() - self.started, final
        )
