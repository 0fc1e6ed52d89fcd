"""The storage suite runs against both backends: a SQLite file and a real Postgres server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a fresh, empty settings database lives: a SQLite file, or a Postgres database URL."""
    if request.param == "sqlite":
        return tmp_path / "db"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()
