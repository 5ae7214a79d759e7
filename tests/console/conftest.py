"""Fixtures: a console app on a fresh database (SQLite; PostgreSQL too where a test module asks with
``pytestmark = BOTH_DATABASES``), with an admin and a reviewer."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask

from bot.manage import migrate
from bot.settings import get_settings
from console.app import create_app
from tests.console import support
from tests.databases import PostgresUnavailable, missing_service, throwaway_postgres

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
