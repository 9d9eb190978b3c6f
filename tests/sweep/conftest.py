"""A PostgreSQL server for the shared-study tests; skipped with a reason outside CI."""

from __future__ import annotations

import os

import pytest
from postgres_server import PostgresServer


@pytest.fixture(scope="session")
def postgres_url():
    pytest.importorskip("psycopg", reason="psycopg missing: pip install -e '.[dev]'")
    try:
        server = PostgresServer()
    except (RuntimeError, OSError) as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"cannot start PostgreSQL here: {err}")
    yield server.url
    server.stop()
