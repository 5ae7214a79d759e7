"""Rasa's SQL tracker store, with what must not be stored taken out (endpoints.yml names it).

- Case codes and PINs are redacted from the stored user and bot messages (bot/redaction.py):
  the user sees their code and PIN once, in the reply; nobody reads them back from the store.
- The status check's own slots are sealed (AES-GCM) at rest and opened again on loading, so a
  check spread over two messages still works while the database holds no usable code or PIN.
- Request metadata is not stored.
- A turn that ran the erasure action (bot.intents.ERASE_DATA_ACTION, after the user confirmed
  "hapus data saya") deletes the user's whole stored conversation instead of adding to it.

- Each process remembers the latest session of the conversations it loaded last
  (``RecentSessions``): a load reads only the rows written since, by this replica or another, and
  decodes only those; the database stays the truth (a remembered session that was erased, purged
  or replaced by a new session is read again in full).

Rasa's own SQLTrackerStore does the rest (schema, sessions, retrieval). No event broker is used:
one would receive the events before redaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from bot.intents import ERASE_DATA_ACTION
from bot.redaction import SEALED_SLOTS, ConversationContext, redact_events
from bot.sealing import derive_key, seal, unseal
from bot.settings import get_settings
from bot.storage.db import engine_for
from bot.turn_gate import TURN_GATE

logger = logging.getLogger(__name__)

# Set on a tracker this store loaded or saved: how many of its events are stored.
STORED_ATTRIBUTE = "_pandu_events_stored"
# ... and the redaction context after them (bot/redaction.py ConversationContext: loop, requested slot).
CONTEXT_ATTRIBUTE = "_pandu_redaction_context"


def sealing_key(secret: str) -> bytes:
    """The slot-sealing key: derived from ACTION_SERVER_TOKEN, which every Rasa replica shares.
    Without one (a test server), a key for this process only: sealed values then last as long
    as the process, and a status check interrupted by a restart simply asks again."""
    return derive_key("tracker slots", secret.encode("utf-8") if secret else _PROCESS_SECRET)


_PROCESS_SECRET = os.urandom(32)


def seal_slots(event: Dict[str, Any], key: bytes) -> Dict[str, Any]:
    if event.get("event") == "slot" and event.get("name") in SEALED_SLOTS:
        return {**event, "value": seal(event.get("value"), key)}
    return event


def unseal_slots(event: Dict[str, Any], key: bytes) -> Dict[str, Any]:
    if event.get("event") == "slot" and event.get("name") in SEALED_SLOTS:
        return {**event, "value": unseal(event.get("value"), key)}
    return event


def ran_erasure(events: List[Any]) -> bool:
    return any(isinstance(event, ActionExecuted) and event.action_name == ERASE_DATA_ACTION for event in events)


def latest_session_data(events: sa.Table) -> Any:
    """Rasa's query for the latest session's events (``SQLTrackerStore._event_query``) as one
    statement with the sender as a parameter: building the ORM query for every turn cost more than
    running it. No ORM object per row either (it cost more than the JSON): the columns a
    remembered session needs (``Row``)."""
    sender = sa.bindparam("sender_id")
    session_start = (
        sa.select(sa.func.max(events.c.timestamp))
        .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    return (
        sa.select(events.c.id, events.c.data, events.c.timestamp, events.c.type_name)
        .where(events.c.sender_id == sender, sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
        .order_by(events.c.id)
    )


# Stands for "no session start": every row's timestamp is later.
NO_SESSION_START = -1.0


def rows_from(events: sa.Table) -> Any:
    """A conversation's rows from a known row on (that row included, to see that it is still
    there), each with the number of the session's rows up to the known one (to see that none
    appeared or went before it)."""
    sender, from_id, session_start = sa.bindparam("sender_id"), sa.bindparam("from_id"), sa.bindparam("session_start")
    up_to_known = (
        sa.select(sa.func.count(events.c.id))
        .where(events.c.sender_id == sender, events.c.id <= from_id, events.c.timestamp >= session_start)
        .scalar_subquery()
    )
    return (
        sa.select(events.c.id, events.c.data, events.c.timestamp, events.c.type_name, up_to_known)
        .where(events.c.sender_id == sender, events.c.id >= from_id)
        .order_by(events.c.id)
    )


class Row(NamedTuple):
    id: int
    data: str
    timestamp: Optional[float]
    type_name: str


@dataclass(frozen=True)
class LoadedSession:
    """The latest session of one conversation as this store last read it from the database."""

    last_id: int
    last_data: str  # that row's JSON, compared on reuse (SQLite can give a deleted id again)
    rows: int  # how many rows the session had up to last_id
    session_start: float  # its session_started timestamp, or NO_SESSION_START
    events: Tuple[Event, ...]  # the rows deserialised (a row Rasa cannot read is skipped, as Rasa does)
    context: Tuple[Optional[str], Optional[str]]  # ConversationContext after the events
    loaded_at: float  # time.monotonic() of the load


def session_start_of(rows: Sequence[Row]) -> float:
    starts = [row.timestamp or 0.0 for row in rows if row.type_name == SessionStarted.type_name]
    return max(starts) if starts else NO_SESSION_START


def continue_session(known: LoadedSession, rows: Sequence[Row], rows_up_to_known: int) -> Optional[Sequence[Row]]:
    """The rows written after ``known`` when a full load would give ``known``'s events followed by
    them, else None (then the session is read again in full): the known last row is gone or changed
    (erased, purged), the session's rows up to it are not the ones remembered (one committed late
    under a lower id, or was deleted), a new session started, or a new row is stamped before the
    session's start (another replica's clock), which Rasa's query would leave out."""
    if not rows or rows[0].id != known.last_id or rows[0].data != known.last_data or rows_up_to_known != known.rows:
        return None
    new_rows = rows[1:]
    for row in new_rows:
        if row.type_name == SessionStarted.type_name or (row.timestamp or 0.0) < known.session_start:
            return None
    return new_rows


class RecentSessions:
    """The latest sessions of the conversations this process loaded last (least recently used
    first out, and none idle longer than ``idle_seconds``), so that a turn decodes only the rows
    written since (by this replica or another).

    Loading was a third of a turn's tracker work and most of it was decoding the same JSON and
    building the same events again (py-spy under ``make bench``: ``json.loads`` alone 7% of a Rasa
    process). The database stays the truth: every load still reads it, from the remembered row on.
    The events (and their dictionaries, such as a message's parse data) are shared by every
    tracker built from a remembered session, across turns: nothing in Rasa or in our actions
    changes an event once it is in a tracker, and the in-process actions get copies.
    A session holds the status check's unsealed values like any loaded tracker: the idle limit
    keeps them from staying in memory long after the conversation (or its erasure elsewhere)."""

    def __init__(self, capacity: int, idle_seconds: float) -> None:
        self._capacity = capacity
        self._idle_seconds = idle_seconds
        self._sessions: "OrderedDict[str, LoadedSession]" = OrderedDict()
        self._lock = threading.Lock()  # loads run in worker threads

    def get(self, sender_id: str, now: float) -> Optional[LoadedSession]:
        with self._lock:
            self._drop_idle(now)
            known = self._sessions.get(sender_id)
            if known is not None:
                self._sessions.move_to_end(sender_id)
            return known

    def put(self, sender_id: str, session: LoadedSession) -> None:
        with self._lock:
            self._sessions[sender_id] = session
            self._sessions.move_to_end(sender_id)
            while len(self._sessions) > self._capacity:
                self._sessions.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        with self._lock:
            self._sessions.pop(sender_id, None)

    def _drop_idle(self, now: float) -> None:
        # Least recently used first: stop at the first one still in use.
        while self._sessions:
            sender_id, oldest = next(iter(self._sessions.items()))
            if now - oldest.loaded_at <= self._idle_seconds:
                return
            del self._sessions[sender_id]


# A session of 150 events (a whole report and a status check) holds about 225 KiB (tracemalloc):
# at most about 110 MB per Rasa process, for the conversations of 500 people writing at once.
RECENT_SESSIONS = 500
# A user's next message usually comes within minutes; after that, reading the session again is cheap.
RECENT_SESSION_IDLE_SECONDS = 600.0


class RedactingSQLTrackerStore(SQLTrackerStore):
    engine: Any  # Rasa's SQLTrackerStore sets it in __init__ (replaced below for PostgreSQL)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._key = sealing_key(get_settings().action_server_token)
        self._latest_session = latest_session_data(self.SQLEvent.__table__)
        self._rows_from = rows_from(self.SQLEvent.__table__)
        self._recent = RecentSessions(RECENT_SESSIONS, RECENT_SESSION_IDLE_SECONDS)
        # The process's one engine per database (bot/storage/db.engine_for) instead of the one Rasa
        # made: pooled PostgreSQL connections are tested before use (after a restart or an outage the
        # first turn of every pooled connection would fail), SQLite files are in WAL mode like our
        # own, and the app's tables on the same database share its pool.
        url = self.engine.url.render_as_string(hide_password=False)
        self.engine.dispose()
        self.engine = engine_for(url)
        self.sessionmaker = sessionmaker(bind=self.engine)

    # The database work runs in a worker thread, outside the turn gate (bot/turn_gate.py): Rasa
    # calls the store on its event loop, and a commit waiting on PostgreSQL's disk flush there
    # stalled every other user's turn meanwhile (issue 11's profile); now a slow database delays
    # only the turns that wait for it. One conversation's turns are still one at a time (the lock store).

    async def save(self, tracker: DialogueStateTracker) -> None:
        async with TURN_GATE.outside():
            await asyncio.get_running_loop().run_in_executor(None, self._save, tracker)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        async with TURN_GATE.outside():
            return await asyncio.get_running_loop().run_in_executor(
                None, self._load, sender_id, fetch_events_from_all_sessions
            )

    def _save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            # How many of the tracker's events are stored already: known when this store loaded
            # it (the usual case: no count query), counted otherwise (a new conversation).
            stored = getattr(tracker, STORED_ATTRIBUTE, None)
            if stored is None:
                stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            events = list(tracker.events)
            new_events = events[stored:]
            if ran_erasure(new_events):
                deleted = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == tracker.sender_id)
                    .delete(synchronize_session=False)
                )
                session.commit()
                # (Another replica's memory is checked against the rows on its next load.)
                self._recent.forget(tracker.sender_id)
                setattr(tracker, STORED_ATTRIBUTE, None)
                logger.info("tracker store: a conversation was erased at its user's request (%d events)", deleted)
                return
            # The context (is a PIN expected?) comes from the events already stored in this session:
            # remembered on the tracker when this store loaded or saved it, else followed again.
            context = ConversationContext()
            remembered = getattr(tracker, CONTEXT_ATTRIBUTE, None)
            if remembered is not None and getattr(tracker, STORED_ATTRIBUTE, None) == stored:
                context.active_loop, context.requested_slot = remembered
            else:
                for earlier in events[:stored]:
                    context.follow(earlier.as_dict())
            dicts = redact_events([event.as_dict() for event in new_events], context)
            rows = []
            for event, data in zip(new_events, dicts, strict=True):
                data = seal_slots(data, self._key)
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                # One INSERT with many rows, in order (the ids keep the events' order).
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
            setattr(tracker, STORED_ATTRIBUTE, len(events))
            setattr(tracker, CONTEXT_ATTRIBUTE, (context.active_loop, context.requested_slot))

    def _load(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        if fetch_events_from_all_sessions:
            with self.session_scope() as session:
                query = self._event_query(session, sender_id, fetch_events_from_all_sessions=True)
                rows = [data for (data,) in query.with_entities(self.SQLEvent.data).all()]
            dicts = [unseal_slots(json.loads(data), self._key) for data in rows]
            if self.domain and dicts:
                return DialogueStateTracker.from_dict(sender_id, dicts, self.domain.slots)
            return None
        loaded = self._load_latest_session(sender_id)
        if self.domain and loaded is not None:
            tracker = DialogueStateTracker.from_events(sender_id, list(loaded.events), self.domain.slots)
            # What save() slices the tracker's events with: the events, not the rows (a row Rasa
            # cannot deserialise is skipped, and counting it would hide a new event at save).
            setattr(tracker, STORED_ATTRIBUTE, len(loaded.events))
            setattr(tracker, CONTEXT_ATTRIBUTE, loaded.context)
            return tracker
        return None

    def _load_latest_session(self, sender_id: Text) -> Optional[LoadedSession]:
        """The conversation's latest session (None when it has no rows): the remembered one
        continued with the rows written since when that gives what a full load would, else read
        in full."""
        now = time.monotonic()
        known = self._recent.get(sender_id, now)
        new_rows: Optional[Sequence[Row]] = None
        with self.session_scope() as session:
            if known is not None:
                result = session.execute(
                    self._rows_from,
                    {"sender_id": sender_id, "from_id": known.last_id, "session_start": known.session_start},
                ).all()
                rows = [Row(*row[:4]) for row in result]
                new_rows = continue_session(known, rows, int(result[0][4]) if result else 0)
            if new_rows is None:
                known = None
                new_rows = [Row(*row) for row in session.execute(self._latest_session, {"sender_id": sender_id})]
        if known is None and not new_rows:
            self._recent.forget(sender_id)
            return None
        if known is not None and not new_rows:
            return known
        dicts = [unseal_slots(json.loads(row.data), self._key) for row in new_rows]
        context = ConversationContext()
        if known is not None:
            context.active_loop, context.requested_slot = known.context
        for event in dicts:
            context.follow(event)
        loaded = LoadedSession(
            last_id=int(new_rows[-1].id),
            last_data=new_rows[-1].data,
            rows=(known.rows if known is not None else 0) + len(new_rows),
            session_start=known.session_start if known is not None else session_start_of(new_rows),
            events=(known.events if known is not None else ()) + tuple(deserialise_events(dicts)),
            context=(context.active_loop, context.requested_slot),
            loaded_at=now,
        )
        self._recent.put(sender_id, loaded)
        return loaded
