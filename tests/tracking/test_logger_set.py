"""LoggerSet: every logger hears every call in order, and a broken or slow one is isolated."""

from __future__ import annotations

import threading
import time

from distill.core.tracking import Logger, LoggerSet, TrialInfo, current_trial, trial_scope


class Recorder(Logger):
    def __init__(self, fail_at: str | None = None, delay: float = 0.0) -> None:
        super().__init__(Logger.Params())
        self.calls: list[tuple] = []
        self.fail_at, self.delay = fail_at, delay
        self.trial: TrialInfo | None = None

    def _note(self, *call) -> None:
        time.sleep(self.delay)
        if call[0] == self.fail_at:
            raise ConnectionError("server at 127.0.0.1:1 refused the connection")
        self.calls.append(call)

    def start(self, run) -> None:
        self.trial = current_trial()
        self._note("start", run)

    def row(self, row) -> None:
        self._note("row", row["epoch"])

    def finish(self, run, status) -> None:
        self._note("finish", status)


def drive(loggers: LoggerSet, rows: int = 3) -> None:
    loggers.start("RUN")
    for epoch in range(1, rows + 1):
        loggers.row({"stage": "student", "epoch": epoch})
    loggers.finish("RUN", "finished")


def test_every_logger_gets_every_call_in_order():
    a, b = Recorder(), Recorder()
    drive(LoggerSet([("a", a), ("b", b)]))
    expected = [("start", "RUN"), ("row", 1), ("row", 2), ("row", 3), ("finish", "finished")]
    assert a.calls == b.calls == expected


def test_a_failing_logger_warns_once_is_switched_off_and_noted(capsys):
    broken, healthy = Recorder(fail_at="row"), Recorder()
    loggers = LoggerSet([("broken", broken), ("healthy", healthy)])
    drive(loggers, rows=4)
    assert broken.calls == [("start", "RUN")]  # nothing after its first failure
    assert len(healthy.calls) == 6
    assert loggers.failures == [
        "broken: failed at row (ConnectionError: server at 127.0.0.1:1 refused the "
        "connection); switched off"
    ]
    warnings = [x for x in capsys.readouterr().err.splitlines() if "warning" in x]
    assert len(warnings) == 1
    assert "logger 'broken'" in warnings[0] and "the run folder is complete" in warnings[0]


def test_flush_makes_failures_current_before_the_report():
    loggers = LoggerSet([("broken", Recorder(fail_at="row", delay=0.05))], quiet=True)
    loggers.start("RUN")
    loggers.row({"epoch": 1})
    assert loggers.flush(timeout=5)
    assert loggers.failures and loggers.failures[0].startswith("broken: failed at row")


def test_a_slow_logger_never_slows_the_caller_and_is_left_behind_at_the_end():
    slow = Recorder(delay=0.3)
    loggers = LoggerSet([("slow", slow)], finish_timeout=0.5, quiet=True)
    began = time.perf_counter()
    loggers.start("RUN")
    for epoch in range(20):  # 6 s of work for the logger
        loggers.row({"epoch": epoch})
    queued = time.perf_counter() - began
    loggers.finish("RUN", "finished")
    ended = time.perf_counter() - began
    assert queued < 0.05, f"queueing 21 calls took {queued:.3f} s"
    assert ended < 1.0, f"finish waited {ended:.2f} s (limit 0.5 s)"
    assert loggers.failures == [
        "slow: was still busy 0.5 s after the run ended and was left behind; its copy may "
        "lack the end of the run"
    ]


def test_a_logger_that_cannot_keep_up_is_switched_off_not_queued_forever():
    gate = threading.Event()

    class Stuck(Recorder):
        def row(self, row) -> None:
            gate.wait(5)

    loggers = LoggerSet([("stuck", Stuck())], capacity=3, finish_timeout=2, quiet=True)
    loggers.start("RUN")
    for epoch in range(10):
        loggers.row({"epoch": epoch})
    gate.set()
    loggers.finish("RUN", "finished")
    assert len(loggers.failures) == 1
    assert "3 calls waiting: the tracker cannot keep up" in loggers.failures[0]


def test_loggers_see_the_sweep_trial_they_run_for():
    inside, outside = Recorder(), Recorder()
    info = TrialInfo("study", 7, {"train.lr": 0.01})
    with trial_scope(info):
        drive(LoggerSet([("inside", inside)]))
    drive(LoggerSet([("outside", outside)]))
    assert inside.trial is info and info.state == "complete"
    assert outside.trial is None


def test_no_loggers_is_a_mirror_that_does_nothing():
    loggers = LoggerSet()
    drive(loggers)
    assert len(loggers) == 0 and loggers.failures == [] and loggers.flush(0)
