""" "Hapus data saya": delete what the app database keeps about one chat and is linked to no report.

What this deletes: the user's rows in ``channel_inbox`` (message ids, their sender id, and the text
of a message whose turn failed). What it keeps, and why:

- reports the user sent, with their conversation id: staff still handle them, the case code and
  PIN still work, and the reporter notice ("there is news on your case") still reaches this chat.
  Their personal data goes with the retention policy once the report is closed (retention.py).
- ``security_counters``: keyed by a hash of the sender, never the sender itself, and gone two
  days after their window. Deleting them on request would let anybody reset the limits on PIN
  guesses and reports just by asking.

The stored conversation itself is deleted by the tracker store, not here (bot/storage/
tracker_store.py deletes it when a turn ran bot.intents.ERASE_DATA_ACTION).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.storage.models import AuditEntry, InboxMessage, Report

AUDIT_ACTION = "erasure"
AUDIT_ACTOR = "reporter"


@dataclass(frozen=True)
class ErasureResult:
    inbox_rows_deleted: int
    reports_kept: int


def erase_unlinked_data(session: Session, sender_id: str, channel: str) -> ErasureResult:
    """Delete the sender's inbox rows on ``channel`` and record the erasure in the audit log, in the
    caller's transaction (both happen or neither).

    Only rows of the channel the request came through: the REST channel lets its caller choose
    any sender id, so a request typed there must not reach the inbox of a WhatsApp or Telegram
    user who happens to have that id. The audit entry names no sender (it is personal data; the
    entry proves that an erasure happened and what it covered).
    """
    deleted = (
        session.execute(
            delete(InboxMessage)
            .where(InboxMessage.sender_id == sender_id, InboxMessage.channel == channel)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    kept = session.execute(select(func.count(Report.id)).where(Report.conversation_id == sender_id)).scalar_one()
    session.add(
        AuditEntry(
            actor=AUDIT_ACTOR,
            action=AUDIT_ACTION,
            detail={
                "channel": channel,
                "inbox_rows_deleted": int(deleted),
                "reports_kept": int(kept),
                "conversation": "deleted by the tracker store",
            },
        )
    )
    return ErasureResult(inbox_rows_deleted=int(deleted), reports_kept=int(kept))
