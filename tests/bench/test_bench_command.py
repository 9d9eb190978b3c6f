"""`distill bench SUITE`: finds the checkout's suites and runs one as `python -m`."""

from __future__ import annotations

import sys
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


def test_results_record_the_command_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A package suite runs as its __main__ module; the results must still say
    `python -m benchmarks.accuracy`, the command a reader can rerun."""
    import types
    from importlib.machinery import ModuleSpec

    from benchmarks.environment import invocation

    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", ["/repo/benchmarks/accuracy/__main__.py", "--quick"])
    main.__spec__ = ModuleSpec("benchmarks.accuracy.__main__", None)
    assert invocation() == ["python", "-m", "benchmarks.accuracy", "--quick"]
    main.__spec__ = ModuleSpec("benchmarks.size", None)
    assert invocation() == ["python", "-m", "benchmarks.size", "--quick"]
    main.__spec__ = None  # a script run by path
    assert invocation() == ["python", "/repo/benchmarks/accuracy/__main__.py", "--quick"]
