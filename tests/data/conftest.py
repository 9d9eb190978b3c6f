"""Shared fixtures of the data tests: quiet output and a private cache per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _quiet_private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DISTILL_QUIET", "1")
    monkeypatch.setenv("DISTILL_CACHE", str(cache))
    return cache
