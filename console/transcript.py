"""The conversation behind a report, read from Rasa's SQL tracker store (table ``events``).

Reviewers see only what they need, and nothing that opens the case:
- the conversation up to the report (what the reporter did afterwards, e.g. status checks, is theirs);
- for an anonymous report only the report itself (from "lapor" to the confirmation), with phone
  numbers masked: the rest of the history could identify them;
- case codes and PINs redacted again on reading (the store redacts on writing; this also covers
  rows written before it did).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.redaction import redact_text
from bot.storage.db import engine_for, sqlite_file_missing

logger = logging.getLogger("console.transcript")

MAX_EVENTS = 2000  # a report conversation is tens of turns; this only bounds a runaway tracker
REPORT_START_ACTION = "action_start_report"
REPORT_SAVE_ACTION = "action_submit_report"
# Rasa stamps the save action after the action server wrote the report: allow for both clocks.
SAVE_CLOCK_SLACK = dt.timedelta(minutes=2)
Row = Tuple[str, Optional[float], Optional[str], str]
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{6,}\d(?![\w])")
MASKED_PHONE = "[nomor disembunyikan]"


@dataclass(frozen=True)
class Line:
    speaker: str  # "user" or "bot"
    text: str
    at: Optional[dt.datetime]


def _at(timestamp: Optional[float]) -> Optional[dt.datetime]:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).replace(tzinfo=None) if timestamp else None


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
    return Line(speaker=type_name, text=redact_text(message) or "", at=_at(timestamp))


def _report_end(rows: Sequence[Row], saved_at: Optional[dt.datetime]) -> Tuple[bool, int]:
    """Whether this report's save action is in the rows, and the index just past its confirmation
    (the save and the bot messages after it). Without a save time: every row."""
    if saved_at is None:
        return False, len(rows)
    earliest = saved_at - SAVE_CLOCK_SLACK
    saves = [
        index
        for index, row in enumerate(rows)
        if row[0] == "action" and row[2] == REPORT_SAVE_ACTION and (_at(row[1]) is None or _at(row[1]) >= earliest)
    ]
    if not saves:
        until = saved_at + SAVE_CLOCK_SLACK
        return False, len([row for row in rows if _at(row[1]) is None or _at(row[1]) <= until])
    end = saves[0] + 1
    while end < len(rows) and rows[end][0] != "user":
        end += 1
    return True, end


def report_lines(rows: Sequence[Row], saved_at: Optional[dt.datetime], anonymous: bool) -> Optional[List[Line]]:
    """The transcript a reviewer may see of (type_name, timestamp, action_name, data) rows, or None
    when it cannot be cut safely (an anonymous report whose start is not in the rows)."""
    found_save, end = _report_end(rows, saved_at)
    rows = list(rows[:end])
    saves = [index for index, row in enumerate(rows) if row[0] == "action" and row[2] == REPORT_SAVE_ACTION]
    # Never before the end of an earlier report of the same chat: that one may be anonymous.
    # Without a save time nothing tells this report's save from an earlier one: no cut.
    earlier = [] if saved_at is None else saves[:-1] if found_save else saves
    start = earlier[-1] + 1 if earlier else 0
    while earlier and start < len(rows) and rows[start][0] != "user":
        start += 1  # the earlier report's confirmation is that report's
    if anonymous:
        starts = [
            index
            for index, row in enumerate(rows)
            if index >= start and row[0] == "action" and row[2] == REPORT_START_ACTION
        ]
        if not starts:
            return None  # the whole history could identify the reporter: show nothing
        # Only the report: from its last start (with the user message that asked for it).
        start = starts[-1]
        while start > 0 and rows[start][0] != "user":
            start -= 1
    lines = [line for line in (_line(row[0], row[1], row[3]) for row in rows[start:]) if line is not None]
    if anonymous:
        lines = [
            Line(line.speaker, _PHONE.sub(MASKED_PHONE, line.text) if line.speaker == "user" else line.text, line.at)
            for line in lines
        ]
    return lines


def load_transcript(
    tracker_store_url: str,
    conversation_id: Optional[str],
    saved_at: Optional[dt.datetime] = None,
    anonymous: bool = False,
) -> Optional[List[Line]]:
    """User and bot messages in order, or None when the store (or the conversation) is unavailable."""
    if not conversation_id or sqlite_file_missing(tracker_store_url):
        return None
    # The one engine factory (cached per URL): a report page must not open a new pool each time.
    engine = engine_for(tracker_store_url)
    try:
        with engine.connect() as connection:
            # The newest rows up to the report (a long chat's report is near its end, not its start).
            until = (saved_at + SAVE_CLOCK_SLACK).replace(tzinfo=dt.timezone.utc).timestamp() if saved_at else None
            rows = connection.execute(
                text(
                    "SELECT type_name, timestamp, action_name, data FROM events WHERE sender_id = :sender "
                    + ("AND timestamp <= :until " if until is not None else "")
                    + "ORDER BY id DESC LIMIT :limit"
                ),
                {"sender": conversation_id, "limit": MAX_EVENTS, **({"until": until} if until is not None else {})},
            ).all()[::-1]
    except SQLAlchemyError as error:
        # Only the error class: the message could contain the sender id, which is personal data.
        logger.warning("tracker store unavailable: %s", error.__class__.__name__)
        return None
    lines = report_lines([tuple(row) for row in rows], saved_at, anonymous)
    return lines or None
