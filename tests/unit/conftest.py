"""Shared fixtures: a migrated database, on SQLite and on the real PostgreSQL of this machine."""
from __future__ import annotations

import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.manage import migrate

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_url() -> Iterator[str]:
    try:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"guidance_test_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection problem means "no PostgreSQL here"
        pytest.skip(f"PostgreSQL is not reachable on localhost: {error.__class__.__name__}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        from bot.storage.db import engine_for

        engine_for(f"postgresql://postgres@127.0.0.1:5432/{name}").dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reports.db'}"
        migrate(url)
        yield url
    else:
        for url in _postgres_url():
            migrate(url)
            yield url
