"""StudyTracking: study loggers hear each trial's start and final state, and a broken or
hanging one never stops the sweep."""

from __future__ import annotations

import time

import pytest

from distill.core.config import build_config
from distill.core.tracking import StudyInfo, StudyLogger, StudyTracking, TrialInfo, current_trial


class Notes(StudyLogger):
    def __init__(self, fail_at: str | None = None, delay: float = 0.0) -> None:
        super().__init__(None)
        self.fail_at, self.delay, self.heard = fail_at, delay, []

    def _note(self, what: str, detail) -> None:
        time.sleep(self.delay)
        if what == self.fail_at:
            raise OSError("disk full")
        self.heard.append((what, detail))

    def start(self, study) -> None:
        self._note("start", study.name)

    def trial_start(self, trial) -> None:
        trial.links["parent"] = "p1"
        self._note("trial_start", trial.number)

    def trial_end(self, trial) -> None:
        self._note("trial_end", (trial.number, trial.state, trial.value))

    def finish(self, study) -> None:
        self._note("finish", study.best.number if study.best else None)


def sweep(tracking: StudyTracking) -> list[TrialInfo]:
    about = StudyInfo("s", build_config())
    tracking.start(about)
    trials = [TrialInfo("s", n, {}) for n in range(3)]
    with tracking.trial(trials[0]) as info:
        assert current_trial() is info
        info.value = 0.5
    with pytest.raises(KeyboardInterrupt), tracking.trial(trials[1]):
        trials[1].state = "pruned"
        raise KeyboardInterrupt  # any exception: the trial's own state is kept
    with pytest.raises(ValueError), tracking.trial(trials[2]):
        raise ValueError("diverged")
    about.best = trials[0]
    tracking.finish(about)
    return trials


def test_study_loggers_hear_every_trial_with_its_final_state():
    notes = Notes()
    trials = sweep(StudyTracking([("notes", notes)]))
    assert notes.heard == [
        ("start", "s"),
        ("trial_start", 0),
        ("trial_end", (0, "complete", 0.5)),
        ("trial_start", 1),
        ("trial_end", (1, "pruned", None)),
        ("trial_start", 2),
        ("trial_end", (2, "failed", None)),
        ("finish", 0),
    ]
    assert trials[0].links == {"parent": "p1"}  # what the trial's run loggers read
    assert current_trial() is None


def test_a_failing_study_logger_is_switched_off_and_the_sweep_goes_on(capsys):
    broken, healthy = Notes(fail_at="trial_start"), Notes()
    tracking = StudyTracking([("broken", broken), ("healthy", healthy)])
    sweep(tracking)
    assert broken.heard == [("start", "s")]
    assert len(healthy.heard) == 8
    assert tracking.failures == ["broken: failed at trial_start (OSError: disk full); switched off"]
    assert capsys.readouterr().err.count("warning: logger 'broken'") == 1


def test_a_hanging_study_logger_costs_one_timeout_then_nothing():
    tracking = StudyTracking([("hanging", Notes(delay=2.0))], timeout=0.2)
    began = time.perf_counter()
    sweep(tracking)
    assert time.perf_counter() - began < 1.5
    assert tracking.failures == ["hanging: did not answer within 0.2 s; switched off"]
