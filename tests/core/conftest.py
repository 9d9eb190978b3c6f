"""Fixtures for plugin tests: a throwaway site folder on sys.path."""

from __future__ import annotations

from pathlib import Path

import pytest

from distill.core import plugins


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A throwaway site folder on sys.path; plugin state is reloaded around each test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.reset()
    yield tmp_path
    plugins.reset()
