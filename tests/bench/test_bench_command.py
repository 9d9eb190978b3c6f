"""`distill bench SUITE`: finds the checkout's suites and runs one as `python -m`."""

from __future__ import annotations

from pathlib import Path

import pytest

from distill.cli.app import run_app
from distill.cli.bench import find_benchmarks, suites

REPO = Path(__file__).resolve().parents[2]


def test_bench_command_lists_and_runs_suites(capfd: pytest.CaptureFixture[str]) -> None:
    folder = find_benchmarks()
    assert folder == REPO / "benchmarks"
    assert {"size", "speed", "accuracy"} <= set(suites(folder))
    assert "environment" not in suites(folder)
    assert run_app(["bench", "nosuch"]) == 2
    assert "unknown suite 'nosuch'" in capfd.readouterr().err
    assert run_app(["bench", "size", "--help"]) == 0  # a real child: python -m benchmarks.size
    assert "usage: python -m benchmarks.size" in capfd.readouterr().out
