"""The one database session factory. ``DATABASE_URL`` picks the database."""
from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import get_settings


def _enable_sqlite_foreign_keys(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        _enable_sqlite_foreign_keys(engine)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def session_factory(url: str | None = None) -> sessionmaker:
    return sessionmaker(bind=engine_for(url or get_settings().database_url), future=True, expire_on_commit=False)


@contextlib.contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    session: Session = session_factory(url)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
