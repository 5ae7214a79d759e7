"""The conversation behind a report, read from Rasa's SQL tracker store (table ``events``)."""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import engine_for

logger = logging.getLogger("console.transcript")

MAX_EVENTS = 2000  # a report conversation is tens of turns; this only bounds a runaway tracker


@dataclass(frozen=True)
class Line:
    speaker: str  # "user" or "bot"
    text: str
    at: Optional[dt.datetime]


def _sqlite_file_missing(url: str) -> bool:
    """SQLite creates a missing file on connect; a missing tracker store must stay missing."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return False
    return not parsed.database or not Path(parsed.database).is_file()


def _line(type_name: str, timestamp: Optional[float], data: str) -> Optional[Line]:
    if type_name not in ("user", "bot"):
        return None
    try:
        event = json.loads(data or "{}")
    except ValueError:
        return None
    message = event.get("text") if isinstance(event, dict) else None
    if not isinstance(message, str) or not message.strip():
        return None
    at = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).replace(tzinfo=None) if timestamp else None
    return Line(speaker=type_name, text=message, at=at)


def load_transcript(tracker_store_url: str, conversation_id: Optional[str]) -> Optional[List[Line]]:
    """User and bot messages in order, or None when the store (or the conversation) is unavailable."""
    if not conversation_id or _sqlite_file_missing(tracker_store_url):
        return None
    # The one engine factory (cached per URL): a report page must not open a new pool each time.
    engine = engine_for(tracker_store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT type_name, timestamp, data FROM events WHERE sender_id = :sender "
                     "ORDER BY timestamp, id LIMIT :limit"),
                {"sender": conversation_id, "limit": MAX_EVENTS},
            ).all()
    except SQLAlchemyError as error:
        # Only the error class: the message could contain the sender id, which is personal data.
        logger.warning("tracker store unavailable: %s", error.__class__.__name__)
        return None
    lines = [line for line in (_line(*row) for row in rows) if line is not None]
    return lines or None
