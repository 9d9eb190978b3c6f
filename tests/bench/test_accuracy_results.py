"""The accuracy suite's row store: rows kept at once, the report rewritten off the loop that
hands out runs, or between runs trained in this process."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from benchmarks.accuracy import results as results_module
from benchmarks.accuracy.results import Results


class SlowReport:
    """Stands in for write_report: records what each call saw, and the first call holds
    until released, as a long plot would."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, rows, settings, out, seconds, final):
        self.calls.append((len(rows), final))
        self.entered.set()
        assert self.release.wait(10)
        return {"rows": len(rows), "final": final}


def row(seed: int) -> dict:
    return {"dataset": "synthetic-derm", "seed": seed, "method": "mpdnet", "budget": {}}


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_adding_rows_never_waits_for_a_report_and_requests_coalesce(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = SlowReport()
    monkeypatch.setattr(results_module, "write_report", report)
    store = Results(tmp_path / "work", tmp_path / "out", {}, fresh=False)
    store.add(row(0))
    assert report.entered.wait(10)  # the first rewrite is under way, and held
    adder = threading.Thread(target=lambda: [store.add(row(1)), store.add(row(2))])
    adder.start()
    adder.join(10)
    assert not adder.is_alive(), "add() waited for the report"
    lines = (tmp_path / "work" / "rows.jsonl").read_text().splitlines()
    assert [json.loads(x)["seed"] for x in lines] == [0, 1, 2]  # on disk before any report
    report.release.set()
    wait_for(lambda: len(report.calls) == 2)
    # the two requests made during the first rewrite became one rewrite of all three rows
    assert store.finish() == {"rows": 3, "final": True}
    assert report.calls == [(1, False), (3, False), (3, True)]
    assert not store.refresher.thread.is_alive()


def test_a_failed_interim_report_is_said_and_the_last_one_still_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def background_fails(rows, settings, out, seconds, final):
        if threading.current_thread() is not threading.main_thread():
            raise OSError("disk full")
        return {"rows": len(rows), "final": final}

    monkeypatch.setattr(results_module, "write_report", background_fails)
    store = Results(tmp_path / "work", tmp_path / "out", {}, fresh=False)
    store.add(row(0))
    wait_for(lambda: not store.refresher.wanted.is_set())  # the rewrite was taken up
    assert store.finish(final=False) == {"rows": 1, "final": False}  # a stopped suite's
    assert "report not rewritten: OSError: disk full" in capsys.readouterr().out


def test_without_background_the_report_is_written_in_the_callers_thread_before_add_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs trained in this process: the report goes between them, never beside one."""
    threads: list[threading.Thread] = []

    def report(rows, settings, out, seconds, final):
        threads.append(threading.current_thread())
        return {"rows": len(rows), "final": final}

    monkeypatch.setattr(results_module, "write_report", report)
    store = Results(tmp_path / "work", tmp_path / "out", {}, fresh=False, background=False)
    store.add(row(0))
    assert threads == [threading.main_thread()]
    store.add(row(1))
    assert len(threads) == 2 and store.refresher.thread is None
    assert store.finish() == {"rows": 2, "final": True}
