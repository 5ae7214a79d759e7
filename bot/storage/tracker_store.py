"""Rasa's SQL tracker store, with what must not be stored taken out (endpoints.yml names it).

- Case codes and PINs are redacted from the stored user and bot messages (bot/redaction.py):
  the user sees their code and PIN once, in the reply; nobody reads them back from the store.
- The status check's own slots are sealed (AES-GCM) at rest and opened again on loading, so a
  check spread over two messages still works while the database holds no usable code or PIN.
- Request metadata is not stored.
- A turn that ran the erasure action (bot.intents.ERASE_DATA_ACTION, after the user confirmed
  "hapus data saya") deletes the user's whole stored conversation instead of adding to it.

Rasa's own SQLTrackerStore does the rest (schema, sessions, retrieval). No event broker is used:
one would receive the events before redaction.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import ActionExecuted, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bot.intents import ERASE_DATA_ACTION
from bot.redaction import SEALED_SLOTS, ConversationContext, redact_events
from bot.sealing import derive_key, seal, unseal
from bot.settings import get_settings
from bot.storage.db import use_write_ahead_log

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
    running it. Only the JSON column: an ORM object per event row cost more than the JSON."""
    sender = sa.bindparam("sender_id")
    session_start = (sa.select(sa.func.max(events.c.timestamp))
                     .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
                     .scalar_subquery())
    return (sa.select(events.c.data)
            .where(events.c.sender_id == sender, sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
            .order_by(events.c.id))


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._key = sealing_key(get_settings().action_server_token)
        self._latest_session = latest_session_data(self.SQLEvent.__table__)
        if self.engine.dialect.name == "sqlite":
            # Rasa made this engine: the same WAL mode as our own SQLite files (bot/storage/db.py).
            use_write_ahead_log(self.engine)
            self.engine.dispose()  # connections opened before the listener get it on reconnect
        else:
            # Rasa's engine does not test pooled connections: after a PostgreSQL restart or outage
            # the first turn of every pooled connection would fail. Same engine, with pre-ping.
            url = self.engine.url
            self.engine.dispose()
            self.engine = create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sessionmaker(bind=self.engine)

    # The database work runs in a worker thread: Rasa calls the store on its event loop, and a
    # commit waiting on PostgreSQL's disk flush there stalled every other user's turn meanwhile
    # (issue 11's profile). One conversation's turns are still one at a time (the lock store).

    async def save(self, tracker: DialogueStateTracker) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._save, tracker)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await asyncio.get_running_loop().run_in_executor(
            None, self._load, sender_id, fetch_events_from_all_sessions)

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
                deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete(
                    synchronize_session=False)
                session.commit()
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
            for event, data in zip(new_events, dicts):
                data = seal_slots(data, self._key)
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:
                # One INSERT with many rows, in order (the ids keep the events' order).
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
            setattr(tracker, STORED_ATTRIBUTE, len(events))
            setattr(tracker, CONTEXT_ATTRIBUTE, (context.active_loop, context.requested_slot))

    def _load(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            if fetch_events_from_all_sessions:
                query = self._event_query(session, sender_id, fetch_events_from_all_sessions=True)
                rows = [data for (data,) in query.with_entities(self.SQLEvent.data).all()]
            else:
                rows = session.execute(self._latest_session, {"sender_id": sender_id}).scalars().all()
            events = [unseal_slots(json.loads(data), self._key) for data in rows]
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if not fetch_events_from_all_sessions:
                # Exactly the stored events of the latest session: what save() would count.
                setattr(tracker, STORED_ATTRIBUTE, len(events))
                context = ConversationContext()
                for event in events:
                    context.follow(event)
                setattr(tracker, CONTEXT_ATTRIBUTE, (context.active_loop, context.requested_slot))
            return tracker
        return None
