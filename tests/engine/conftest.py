"""Fixtures for engine tests: one trained tiny run shared by the read-only tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_run import NO_TEACHER, cli


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    assert cli("run", *NO_TEACHER, "--out", out, "--name", "tiny", "--quiet") == 0
    return out / "tiny"
