"""Shared fixtures: a migrated database, on SQLite and on the real PostgreSQL of this machine."""
from __future__ import annotations

from typing import Iterator

import pytest

from bot.manage import migrate
from tests.databases import PostgresUnavailable, missing_service, throwaway_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reports.db'}"
        migrate(url)
        yield url
        return
    try:
        database = throwaway_postgres()
        url = database.__enter__()
    except PostgresUnavailable as error:
        missing_service(str(error))
    try:
        migrate(url)
        yield url
    finally:
        database.__exit__(None, None, None)
