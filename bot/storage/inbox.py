"""The channel inbox: every incoming chat message is written here before its webhook is acknowledged."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.redaction import redact_text

from bot.storage.models import InboxMessage, utcnow

FINISHED_STATUSES = ("done", "failed", "undelivered")
# Meta and Telegram redeliver for a day or so; rows older than this are only history.
KEEP_DAYS = 30


@dataclass(frozen=True)
class PendingMessage:
    inbox_id: int
    channel: str
    sender_id: str
    text: Optional[str]  # None: a photo, sticker... (answered with the text-only notice)


def accept_message(session: Session, channel: str, external_id: str, sender_id: str, text: Optional[str]) -> Optional[int]:
    """Record a new message and return its inbox id, or None when this message was seen before
    (a platform redelivery): the unique constraint decides, so two workers cannot both take it."""
    row = InboxMessage(channel=channel, external_id=external_id[:200], sender_id=sender_id, text=text,
                       status="pending")
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row.id


def finish_message(session: Session, inbox_id: int, status: str, error: Optional[str] = None) -> None:
    """Mark a message handled. The text goes once the turn is in the tracker store (``done`` or
    ``undelivered``); a ``failed`` turn keeps it, so nothing the user wrote is lost."""
    if status not in FINISHED_STATUSES:
        raise ValueError(f"unknown inbox status {status!r}")
    row = session.get(InboxMessage, inbox_id)
    if row is None:
        return
    row.status = status
    row.error = (error or None) and error[:200]
    row.finished_at = utcnow()
    if status != "failed":
        row.text = None
    else:
        # Kept for a retry, but never with a case code or PIN in it (bot/redaction.py).
        row.text = redact_text(row.text)


def pending_messages(session: Session, channel: str) -> List[PendingMessage]:
    """Messages accepted but never handled (the server stopped mid-way), oldest first."""
    rows = session.execute(
        select(InboxMessage).where(InboxMessage.channel == channel, InboxMessage.status == "pending")
        .order_by(InboxMessage.id)
    ).scalars()
    return [PendingMessage(r.id, r.channel, r.sender_id, r.text) for r in rows]


def last_message_at(session: Session, channel: str, sender_id: str) -> Optional[dt.datetime]:
    """When the user last wrote to us on this channel (UTC, naive), for WhatsApp's 24-hour window."""
    return session.execute(
        select(func.max(InboxMessage.received_at)).where(
            InboxMessage.channel == channel, InboxMessage.sender_id == sender_id
        )
    ).scalar_one_or_none()


def forget_old_messages(session: Session, now: Optional[dt.datetime] = None) -> int:
    cutoff = (now or utcnow()) - dt.timedelta(days=KEEP_DAYS)
    result = session.execute(
        delete(InboxMessage).where(InboxMessage.received_at < cutoff, InboxMessage.status != "pending")
    )
    return result.rowcount or 0
