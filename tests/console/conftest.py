"""Fixtures: a console app on a fresh database (SQLite; PostgreSQL too where a test module asks with
``pytestmark = BOTH_DATABASES``), with an admin and a reviewer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator

import pytest
from argon2 import PasswordHasher
from flask import Flask

from bot.manage import migrate
from bot.settings import get_settings
from bot.storage.models import utcnow
from console import auth
from console.app import create_app
from tests.console import support
from tests.databases import PostgresUnavailable, missing_service, throwaway_postgres

# argon2 with its real cost takes ~0.2 s per hash here: tests hash with the cheapest settings (the
# same code path and hash format), so the lock-out tests can afford dozens of sign-ins.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", _FAST_HASHER)
    monkeypatch.setattr(auth, "_code_hasher", _FAST_HASHER)
    monkeypatch.setattr(auth, "_DUMMY_HASH", _FAST_HASHER.hash("dummy password"))


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in support.environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONSOLE_SECRET_KEY", raising=False)
    if getattr(request, "param", "sqlite") == "postgresql":
        try:
            database = throwaway_postgres("console_test")
            url = database.__enter__()
        except PostgresUnavailable as error:
            missing_service(str(error))
        try:
            monkeypatch.setenv("DATABASE_URL", url)
            migrate(url)
            support.create_accounts(url)
            yield url
        finally:
            database.__exit__(None, None, None)
        return
    url = get_settings().database_url
    migrate(url)
    support.create_accounts(url)
    yield url


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    yield create_app(get_settings())


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def admin(app: Flask):
    client = app.test_client()
    assert support.sign_in(client, *support.ADMIN).status_code == 302
    return client


@pytest.fixture
def reviewer(app: Flask):
    client = app.test_client()
    assert support.sign_in(client, *support.REVIEWER).status_code == 302
    return client


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The console's clock stopped at the real time: lock-out windows are fixed (a test running
    across a window boundary would see its count restart), TOTP codes still match the real time."""
    now = utcnow()
    import console.app
    import console.web

    monkeypatch.setattr(console.web, "utcnow", lambda: now)
    monkeypatch.setattr(console.app, "utcnow", lambda: now)
    return now
