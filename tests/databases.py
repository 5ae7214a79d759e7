"""Throwaway databases on the real PostgreSQL of this machine (127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Iterator, NoReturn

import pytest
from sqlalchemy import create_engine, text

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# The key of the PIN hashes of test reports (bot/kept_secrets.report_pin_key in the product).
PIN_KEY = bytes(range(32))


class PostgresUnavailable(RuntimeError):
    pass


def missing_service(message: str) -> NoReturn:
    """Skip a test whose real service (PostgreSQL, Chromium) is missing on a developer's machine;
    under `make test` (REQUIRE_REAL_SERVICES=1) fail instead, so CI cannot pass by skipping."""
    if os.environ.get("REQUIRE_REAL_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def throwaway_postgres(prefix: str = "guidance_test") -> Iterator[str]:
    """A new, empty database for the block; dropped afterwards (with its connections)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection problem means "no PostgreSQL here"
        raise PostgresUnavailable(f"PostgreSQL is not reachable on localhost: {error.__class__.__name__}") from error
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        yield url
    finally:
        from bot.storage.db import engine_for

        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextlib.contextmanager
def postgres_or_missing(prefix: str = "guidance_test") -> Iterator[str]:
    """throwaway_postgres, or the test is skipped (failed under `make test`) when PostgreSQL is absent."""
    try:
        database = throwaway_postgres(prefix)
        url = database.__enter__()
    except PostgresUnavailable as error:
        missing_service(str(error))
    try:
        yield url
    finally:
        database.__exit__(None, None, None)


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """An empty database of ``kind`` ("sqlite": a file in ``folder``; "postgresql": a throwaway
    database, skipped or failed like postgres_or_missing when PostgreSQL is absent)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    with postgres_or_missing(name) as url:
        yield url
