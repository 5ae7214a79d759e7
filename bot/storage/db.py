"""The one database session factory. ``DATABASE_URL`` picks the database."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import get_settings

T = TypeVar("T")


def _enable_sqlite_foreign_keys(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    use_write_ahead_log(engine)


def use_write_ahead_log(engine: Engine) -> None:
    """SQLite files that several processes share (Rasa, the actions, the console): in WAL mode
    readers do not wait for a writer, and a commit is one append instead of two synced writes
    (synchronous=NORMAL: a power cut may lose the last commits, never corrupt the file)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        _enable_sqlite_foreign_keys(engine)
        return engine
    # Up to 16 action calls run at once (bot/action_server.py WORKER_THREADS), each with its own
    # transaction, beside the tracker store's loads and saves in the event loop's default executor
    # (6 threads on 2 cores): the pool must hold them all without waiting.
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=10, max_overflow=20)


def sqlite_file_missing(url: str) -> bool:
    """SQLite creates a missing file on connect: a store that was never written must stay missing
    (reading a transcript or running retention must not create an empty tracker store)."""
    parsed = make_url(url)
    return parsed.drivername.startswith("sqlite") and (not parsed.database or not Path(parsed.database).is_file())


# pg_advisory_lock key of start-up work (migrations, seeding the registry): any fixed 64-bit value
# that no other lock of this database uses.
STARTUP_LOCK_KEY = 7_031_202_612


@contextlib.contextmanager
def startup_lock(url: str | None = None) -> Iterator[None]:
    """One process at a time runs start-up work on a database: replicas that start together
    migrate once (the others wait, then find the schema current). PostgreSQL: an advisory lock
    held by one connection; SQLite: an exclusive lock on a file beside the database."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        path = Path(parsed.database or str(get_settings().var_dir / "app.db"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".startup-lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine_for(url).connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY})
            connection.commit()


def session_factory(url: str | None = None) -> sessionmaker:
    return sessionmaker(bind=engine_for(url or get_settings().database_url), future=True, expire_on_commit=False)


@contextlib.contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises (SQLAlchemy's
    ``sessionmaker.begin()``), closed either way."""
    with session_factory(url).begin() as session:
        yield session


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Database calls are synchronous (SQLAlchemy 1.4): async code (the chat channels, the
    notifier) runs them in a worker thread so the event loop keeps serving."""
    return await asyncio.to_thread(function, *args)
