"""The channel inbox: every incoming chat message is written here before its webhook is acknowledged.

Several Rasa replicas share the inbox. The replica that accepts a message holds a lease on it
(bot/storage/leases.py), takes it again just before running its turn and renews it while the turn
runs; a message whose lease ran out (its replica died, or fell far behind) is claimed and answered
by another. A live replica keeps its messages, and none is left unanswered while any replica runs;
a replica that dies mid-turn may have sent part of a reply that the next one sends again (at least
once, as the platforms themselves deliver).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.redaction import redact_text
from bot.storage.leases import claim, is_free
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


def accept_message(
    session: Session,
    channel: str,
    external_id: str,
    sender_id: str,
    text: Optional[str],
    token: Optional[str] = None,
    lease: dt.timedelta = dt.timedelta(0),
) -> Optional[int]:
    """Record a new message and return its inbox id, or None when this message was seen before
    (a platform redelivery): the unique constraint decides, so two workers cannot both take it.
    With a ``token``, the new row is leased to its caller for ``lease``."""
    row = InboxMessage(channel=channel, external_id=external_id[:200], sender_id=sender_id, text=text, status="pending")
    if token:
        row.claim_token = token
        row.lease_until = utcnow() + lease
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row.id


def finish_message(
    session: Session, inbox_id: int, status: str, error: Optional[str] = None, token: Optional[str] = None
) -> None:
    """Mark a message handled. The text goes once the turn is in the tracker store (``done`` or
    ``undelivered``); a ``failed`` turn keeps it, so nothing the user wrote is lost. With a
    ``token``, only while the message is still this worker's (another replica that took it over
    records its own outcome)."""
    if status not in FINISHED_STATUSES:
        raise ValueError(f"unknown inbox status {status!r}")
    row = session.get(InboxMessage, inbox_id)
    if row is None or (token is not None and row.claim_token not in (None, token)):
        return
    row.status = status
    row.lease_until = None
    row.claim_token = None
    row.error = (error or None) and error[:200]
    row.finished_at = utcnow()
    if status != "failed":
        row.text = None
    else:
        # Kept for a retry, but never with a case code or PIN in it (bot/redaction.py).
        row.text = redact_text(row.text)


def take_message(
    session: Session, inbox_id: int, token: str, lease: dt.timedelta, now: Optional[dt.datetime] = None
) -> bool:
    """Renew this worker's lease on a pending message just before its turn runs. False when the
    message is no longer ours: handled already, or claimed by another replica after our lease ran
    out (that replica answers it; answering it here too would answer twice)."""
    now = now or utcnow()
    result = session.execute(
        update(InboxMessage)
        .where(
            InboxMessage.id == inbox_id,
            InboxMessage.status == "pending",
            or_(InboxMessage.claim_token == token, is_free(InboxMessage.lease_until, now)),
        )
        .values(claim_token=token, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1


def earlier_in_progress(
    session: Session, channel: str, sender_id: str, inbox_id: int, now: Optional[dt.datetime] = None
) -> bool:
    """Whether an earlier message of the same user is being answered right now (pending, under a
    live lease): on another replica, a later message waits for it, so one user's messages are
    answered in the order they arrived whichever replica took them. Earlier messages nobody holds
    (their replica died) are not waited for: the replay answers them."""
    now = now or utcnow()
    return (
        session.execute(
            select(InboxMessage.id)
            .where(
                InboxMessage.channel == channel,
                InboxMessage.sender_id == sender_id,
                InboxMessage.status == "pending",
                InboxMessage.id < inbox_id,
                ~is_free(InboxMessage.lease_until, now),
            )
            .limit(1)
        ).first()
        is not None
    )


def claim_pending(
    session: Session, channel: str, token: str, lease: dt.timedelta, limit: int = 200, now: Optional[dt.datetime] = None
) -> List[PendingMessage]:
    """Claim pending messages nobody holds (their replica stopped mid-way, or never took them),
    oldest first. Each is then taken with ``token`` (take_message) before its turn."""
    now = now or utcnow()
    candidates = (
        select(InboxMessage.id)
        .where(
            InboxMessage.channel == channel, InboxMessage.status == "pending", is_free(InboxMessage.lease_until, now)
        )
        .order_by(InboxMessage.id)
    )
    ids = claim(session, InboxMessage, candidates, limit, now, lease, token, InboxMessage.status == "pending")
    rows = {row.id: row for row in session.execute(select(InboxMessage).where(InboxMessage.id.in_(ids))).scalars()}
    return [PendingMessage(r.id, r.channel, r.sender_id, r.text) for r in (rows[i] for i in ids)]


def pending_messages(session: Session, channel: str) -> List[PendingMessage]:
    """Messages accepted but never handled (the server stopped mid-way), oldest first."""
    rows = session.execute(
        select(InboxMessage)
        .where(InboxMessage.channel == channel, InboxMessage.status == "pending")
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
