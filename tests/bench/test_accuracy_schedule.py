"""The accuracy suite's run order: one run trains each (dataset, seed) teacher while runs
without a teacher go on; the pair's other distillation runs wait for it, then go first."""

from __future__ import annotations

from benchmarks.accuracy.grid import all_methods
from benchmarks.accuracy.schedule import TeacherFirst

METHODS = all_methods()


def runs(*items: tuple[str, int, str]) -> list[tuple]:
    return [(dataset, seed, METHODS[label]) for dataset, seed, label in items]


def labels(order: list[tuple]) -> list[tuple[str, int, str]]:
    return [(dataset, seed, method.label) for dataset, seed, method in order]


def take(schedule: TeacherFirst) -> list[tuple]:
    out = []
    while schedule:
        out.append(schedule.next())
    return out


def test_teacher_runs_start_first_then_runs_without_a_teacher_never_a_second_trainer():
    todo = runs(("a", 0, "mpdnet+dual"), ("a", 0, "mpdnet"), ("a", 0, "mpdnet+kd"),
                ("a", 1, "mpdnet+mpd"), ("a", 1, "unet"), ("a", 1, "mpdnet+kd"))  # fmt: skip
    schedule = TeacherFirst(todo)
    started = take(schedule)
    assert labels(started) == [("a", 0, "mpdnet+dual"), ("a", 1, "mpdnet+mpd"),
                               ("a", 0, "mpdnet"), ("a", 1, "unet")]  # fmt: skip
    assert len(schedule) == 2  # the two kd runs wait for their pairs' teachers
    schedule.finished(started[2], ok=True)  # a run without a teacher releases nothing
    assert not schedule
    schedule.finished(started[1], ok=True)  # seed 1's teacher is stored
    assert labels(take(schedule)) == [("a", 1, "mpdnet+kd")]
    schedule.finished(started[0], ok=True)
    assert labels(take(schedule)) == [("a", 0, "mpdnet+kd")] and len(schedule) == 0


def test_released_runs_go_ahead_of_runs_without_a_teacher():
    todo = runs(("a", 0, "mpdnet+dual"), ("a", 0, "mpdnet+kd"), ("a", 0, "mpdnet+at"),
                ("a", 0, "unet"), ("a", 0, "unext"))  # fmt: skip
    schedule = TeacherFirst(todo)
    trainer = schedule.next()
    schedule.finished(trainer, ok=True)
    assert [m for _, _, m in labels(take(schedule))] == ["mpdnet+kd", "mpdnet+at", "unet", "unext"]


def test_when_the_teacher_run_fails_the_next_run_of_its_pair_trains_the_teacher():
    todo = runs(("a", 0, "mpdnet+dual"), ("a", 0, "mpdnet+kd"), ("a", 0, "mpdnet+at"))
    schedule = TeacherFirst(todo)
    schedule.finished(schedule.next(), ok=False)
    second = schedule.next()
    assert labels([second]) == [("a", 0, "mpdnet+kd")] and not schedule  # at still waits
    schedule.finished(second, ok=True)
    assert labels(take(schedule)) == [("a", 0, "mpdnet+at")]


def test_a_dead_worker_fails_its_runs_and_the_suite_goes_on(monkeypatch):
    """When a worker process dies (host out of memory, killed), the pool is broken: every
    run still to go becomes an error row (retried alone later), nothing raises."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from benchmarks.accuracy import grid, runner

    class BrokenPool:
        started = 0

        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, *args):
            BrokenPool.started += 1
            if BrokenPool.started > 1:
                raise BrokenProcessPool("A child process terminated abruptly")
            future = Future()
            future.set_exception(BrokenProcessPool("A child process terminated abruptly"))
            return future

    monkeypatch.setattr(runner, "ProcessPoolExecutor", BrokenPool)
    todo = runs(("a", 0, "mpdnet+dual"), ("a", 0, "mpdnet+kd"), ("a", 0, "mpdnet"))
    budget = grid.Budget(None, 1, 1, 2, ("swin",), "cpu")
    rows = []
    runner.run_parallel(TeacherFirst(todo), budget, 2, None, rows.append, lambda: False, None)
    assert sorted(r["method"] for r in rows) == ["mpdnet", "mpdnet+dual", "mpdnet+kd"]
    assert all(r["error"].startswith("BrokenProcessPool") for r in rows)
