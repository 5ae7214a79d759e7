"""Shared fixtures: a migrated database, on SQLite and on the real PostgreSQL of this machine."""

from __future__ import annotations

from typing import Iterator

import pytest

from bot.manage import migrate
from tests.databases import postgres_or_missing
from tests.standins.telegram_api import TelegramApiStandIn


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reports.db'}"
        migrate(url)
        yield url
        return
    with postgres_or_missing() as url:
        migrate(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A migrated SQLite file of its own (tests that need only one database)."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    return url


@pytest.fixture
def telegram() -> Iterator[TelegramApiStandIn]:
    """The local stand-in for Telegram's Bot API."""
    with TelegramApiStandIn() as stand_in:
        yield stand_in
