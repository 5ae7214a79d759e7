"""The retention policy (UU 27/2022: personal data is kept no longer than its purpose needs).

One run, by `python -m bot.manage retention [--dry-run]` or the maintenance process:

a. Conversations linked to no report (no ``Report.conversation_id`` is their sender id) whose
   newest event is older than RETENTION_CONVERSATION_DAYS: every row deleted from the tracker
   store's ``events`` table. A conversation that is still linked stays: staff read it beside the
   report.
b. Closed reports (resolved or dismissed) not updated for RETENTION_CLOSED_REPORT_DAYS and not yet
   anonymised: their personal data is cleared (``anonymised_values`` says field by field what goes
   and why), their staff messages' bodies and the free text of their staff notes too, and their
   conversation is deleted from the tracker store, unless another report still needs it. A
   reporter who is chatting with us again keeps only their current session (Rasa reads no other),
   so the nightly run never wipes a conversation in the middle of a form.
c. ``channel_inbox`` rows older than the conversation limit (answered or not), and ``security_counters``
   windows older than two days.
d. One ``AuditEntry`` (action "retention_run", actor "retention") with the counts and the limits,
   never an id of a person. A run that fails half-way records what it did and the error's class.

Selection is pure (``stale_conversations``, ``report_is_due``, ``anonymised_values``...); the
functions below them only read and write. A dry run computes the same counts with the same
conditions and changes nothing.

Order and failures: each batch of reports is one transaction, and its tracker rows are deleted
before it commits (in the same transaction when the tracker store is the app database), so a
failure leaves reports as they were and the next run redoes them. A whole conversation is only
deleted when nothing was added to it since the cutoff, checked in the DELETE itself. One race
remains, Rasa's own: a turn that loaded a long-idle conversation just before the delete saves it
back (its events are in the turn's memory); the conversation is then active again and is purged
once it has been idle for the limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any, Collection, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from sqlalchemy import and_, column, delete, func, inspect, not_, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.reports.status import CLOSED_STATUSES
from bot.settings import Settings
from bot.storage.counters import forget_before
from bot.storage.db import engine_for, sqlite_file_missing, transaction
from bot.storage.models import (
    AuditEntry,
    InboxMessage,
    Report,
    ReportEvent,
    SecurityCounter,
    StaffMessage,
    StaffSession,
)

logger = logging.getLogger(__name__)

AUDIT_ACTION = "retention_run"
ACTOR = "retention"
# Counters only serve rate limits and lock-outs of an hour or a day; two days keeps every window
# that can still count.
COUNTER_KEEP = dt.timedelta(days=2)
# Shown where a text was (what_happened and staff message bodies cannot be NULL): staff and the
# reporter see that something was there and why it is gone. Both languages: the reporter may read it.
REMOVED_TEXT = "[dihapus sesuai kebijakan retensi data / removed under the data retention policy]"
# Recruiter kinds that are organisations. Their names are no personal data (UU 27/2022 protects
# natural persons) and are what repeat-offender statistics group by; any other kind (an
# individual calo, a social-media account, unknown) may name a person.
ORGANISATION_KINDS = ("lpk", "company")
# Staff free text about a case in the report's audit trail: a note, the reason of a decision.
FREE_TEXT_EVENT_KEYS = {"note": ("note",), "status_changed": ("reason",)}
BATCH = 200  # reports per transaction; tracker rows per DELETE

MIN_DAYS = 1


# --- limits -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetentionLimits:
    now: dt.datetime
    conversation_days: int
    closed_report_days: int

    @property
    def conversation_cutoff(self) -> dt.datetime:
        return self.now - dt.timedelta(days=self.conversation_days)

    @property
    def report_cutoff(self) -> dt.datetime:
        return self.now - dt.timedelta(days=self.closed_report_days)

    @property
    def counter_cutoff(self) -> dt.datetime:
        return self.now - COUNTER_KEEP


def limit_problems(settings: Settings) -> List[str]:
    """Limits a run must refuse: 0 days would delete conversations that are going on right now."""
    problems = []
    for name, value in (
        ("RETENTION_CONVERSATION_DAYS", settings.retention_conversation_days),
        ("RETENTION_CLOSED_REPORT_DAYS", settings.retention_closed_report_days),
    ):
        if value < MIN_DAYS:
            problems.append(f"{name} must be at least {MIN_DAYS} day(s), not {value}.")
    if settings.retention_interval_hours < 1:
        problems.append(f"RETENTION_INTERVAL_HOURS must be at least 1, not {settings.retention_interval_hours}.")
    return problems


def retention_limits(settings: Settings, now: dt.datetime) -> RetentionLimits:
    problems = limit_problems(settings)
    if problems:
        raise ValueError(" ".join(problems))
    return RetentionLimits(
        now=_naive_utc(now),
        conversation_days=settings.retention_conversation_days,
        closed_report_days=settings.retention_closed_report_days,
    )


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """The app stores naive UTC (bot.storage.models.utcnow)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def epoch_seconds(moment: dt.datetime) -> float:
    """Rasa's event timestamps are POSIX seconds; ``moment`` is naive UTC."""
    return _naive_utc(moment).replace(tzinfo=dt.timezone.utc).timestamp()


# --- pure selection -----------------------------------------------------------------------------
def stale_conversations(
    newest_event_at: Mapping[str, Optional[float]], linked: Collection[str], cutoff: float
) -> List[str]:
    """Conversations whose newest event is older than ``cutoff`` and that no report links to.
    A conversation without any timestamp is kept: nothing says it is old."""
    linked = set(linked)
    return sorted(
        sender
        for sender, newest in newest_event_at.items()
        if newest is not None and newest < cutoff and sender not in linked
    )


def report_is_due(
    status: str, updated_at: Optional[dt.datetime], anonymised_at: Optional[dt.datetime], cutoff: dt.datetime
) -> bool:
    """Closed, untouched since ``cutoff`` and not anonymised yet (``_due_condition`` is the same in SQL)."""
    return status in CLOSED_STATUSES and anonymised_at is None and updated_at is not None and updated_at < cutoff


def _due_condition(cutoff: dt.datetime) -> ColumnElement:
    return and_(Report.status.in_(CLOSED_STATUSES), Report.anonymised_at.is_(None), Report.updated_at < cutoff)


def anonymised_values(recruiter_kind: Optional[str]) -> Dict[str, Any]:
    """The new values of a closed report's personal fields, field by field.

    Cleared (they identify or describe the reporter, or a person they named):
      what_happened      the story in the reporter's words: names, places, amounts, people.
                         NOT NULL, so it becomes REMOVED_TEXT.
      reporter_contact   the reporter's phone number.
      reporter_location  where the reporter was; with the dates and channel it narrows who wrote.
      money_text         the reporter's own words about the money (money_idr, a number, stays).
      documents_held     which of their documents were held (the flags keep that some were).
      consent_text       proof of a consent to be contacted: with the contact gone it proves
                         nothing that is still used (consent_to_contact and its date stay).
      recruiter_phone    almost always somebody's own mobile. The recruiter row keeps its phone
                         as the key that links reports about the same recruiter.
      recruiter_name     cleared unless the recruiter is an organisation (LPK, company).
      decision_reason    staff's free text about the case, which often quotes it.
      conversation_id    the chat's id: a Telegram chat id, a WhatsApp phone number.
    Kept, for statistics and the audit trail (nothing in them identifies anybody): case_code and
    pin_hash (the reporter can still see their case was closed), status, escalated_to,
    risk_level, flags, channel, language, location (the district the recruiter works in),
    money_idr, reporter_safe, consent_to_contact, anonymous, recruiter_kind, the recruiter link,
    assigned_to (a staff username), created_at, updated_at, consent_recorded_at.
    """
    values: Dict[str, Any] = {
        "what_happened": REMOVED_TEXT,
        "reporter_contact": None,
        "reporter_location": None,
        "money_text": None,
        "documents_held": None,
        "consent_text": None,
        "recruiter_phone": None,
        "decision_reason": None,
        "conversation_id": None,
    }
    if recruiter_kind not in ORGANISATION_KINDS:
        values["recruiter_name"] = None
    return values


def scrubbed_event_detail(kind: str, detail: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """A report event's detail without staff free text, or None when there is none to remove.
    What happened (the kind, from/to status, institution, who and when) stays in the trail."""
    keys = FREE_TEXT_EVENT_KEYS.get(kind, ())
    if not detail or not any(detail.get(key) for key in keys):
        return None
    return {name: (REMOVED_TEXT if name in keys and value else value) for name, value in detail.items()}


def conversations_freed(due: Iterable[Tuple[int, Optional[str]]], still_linked: Collection[str]) -> List[str]:
    """Conversations of the due reports that no other report still needs."""
    still = set(still_linked)
    return sorted({conversation for _, conversation in due if conversation and conversation not in still})


SESSION_ROWS_KEPT = dt.timedelta(days=30)


# --- result -------------------------------------------------------------------------------------
@dataclass
class RetentionResult:
    dry_run: bool
    conversation_days: int
    closed_report_days: int
    conversations_deleted: int = 0  # (a) unlinked, inactive
    reports_anonymised: int = 0  # (b)
    report_conversations_deleted: int = 0  # (b) wholly, or all but the session going on now
    staff_messages_cleared: int = 0  # (b)
    tracker_events_deleted: int = 0  # (a) and (b) together
    inbox_rows_deleted: int = 0  # (c)
    counter_windows_deleted: int = 0  # (c)
    staff_sessions_deleted: int = 0  # (c) console sign-ins ended (revoked or expired) long ago
    error: Optional[str] = None  # the class of the error that stopped a run half-way

    def detail(self) -> Dict[str, Any]:
        """The audit entry's detail: counts and limits, no id of anybody."""
        data = asdict(self)
        if data["error"] is None:
            data.pop("error")
        return data

    def summary(self) -> str:
        would = "would " if self.dry_run else ""
        return (
            f"retention ({self.conversation_days} d conversations, {self.closed_report_days} d closed reports): "
            f"{would}delete {self.conversations_deleted} conversation(s) linked to no report; "
            f"{would}anonymise {self.reports_anonymised} closed report(s) "
            f"({self.report_conversations_deleted} conversation(s), {self.staff_messages_cleared} staff message(s)); "
            f"{self.tracker_events_deleted} tracker event(s), {self.inbox_rows_deleted} inbox row(s), "
            f"{self.counter_windows_deleted} counter window(s), {self.staff_sessions_deleted} ended staff "
            f"session(s) in all" + (" [dry run: nothing changed]" if self.dry_run else "")
        )


# --- the tracker store's events table (Rasa's SQLTrackerStore schema) ---------------------------
EVENTS = table("events", column("id"), column("sender_id"), column("type_name"), column("timestamp"))


class TrackerEvents:
    """Reads and deletes rows of the tracker store's ``events`` table (columns sender_id,
    type_name, timestamp...; console/transcript.py reads the same table)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def available(self) -> bool:
        if sqlite_file_missing(self.url):
            return False
        return inspect(engine_for(self.url)).has_table("events")

    def newest_by_sender(self) -> Dict[str, Optional[float]]:
        with engine_for(self.url).connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.sender_id, func.max(EVENTS.c.timestamp)).group_by(EVENTS.c.sender_id)
            ).all()
        return {str(sender): (float(newest) if newest is not None else None) for sender, newest in rows}

    def current_session_starts(self, connection: Connection, senders: Sequence[str]) -> Dict[str, float]:
        """When each conversation's current session started: the timestamp of its latest
        ``session_started`` event. Rasa loads (and counts, to know which events of a turn are new)
        only the rows from that timestamp on, exactly as here, so the rows before it can go even
        while the user is in the middle of a turn."""
        starts: Dict[str, float] = {}
        for batch in _batches(senders):
            rows = connection.execute(
                select(EVENTS.c.sender_id, func.max(EVENTS.c.timestamp))
                .where(EVENTS.c.sender_id.in_(batch), EVENTS.c.type_name == "session_started")
                .group_by(EVENTS.c.sender_id)
            ).all()
            starts.update({str(sender): float(start) for sender, start in rows if start is not None})
        return starts


def _batches(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _count_or_delete(connection: Connection, condition: ColumnElement, dry_run: bool) -> int:
    """The same condition counts in a dry run and deletes in a real one, so both report alike."""
    if dry_run:
        return int(connection.execute(select(func.count()).select_from(EVENTS).where(condition)).scalar_one())
    return int(connection.execute(delete(EVENTS).where(condition)).rowcount or 0)


def _inactive(senders: Sequence[str], cutoff: float) -> ColumnElement:
    """Rows of these conversations, unless one of them got an event since ``cutoff`` (the user came
    back between the selection and the delete)."""
    recent = EVENTS.alias("recent")
    came_back = select(recent.c.sender_id).where(recent.c.sender_id.in_(senders), recent.c.timestamp >= cutoff)
    return and_(EVENTS.c.sender_id.in_(senders), not_(EVENTS.c.sender_id.in_(came_back)))


def _delete_inactive(connection: Connection, senders: Sequence[str], cutoff: float, dry_run: bool) -> Tuple[int, int]:
    """(conversations, rows) deleted wholly (counted in a dry run)."""
    conversations = rows = 0
    for batch in _batches(list(senders)):
        condition = _inactive(batch, cutoff)
        conversations += int(
            connection.execute(select(func.count(func.distinct(EVENTS.c.sender_id))).where(condition)).scalar_one()
        )
        rows += _count_or_delete(connection, condition, dry_run)
    return conversations, rows


def _delete_report_conversations(
    tracker: TrackerEvents,
    connection: Connection,
    senders: Sequence[str],
    newest: Mapping[str, Optional[float]],
    cutoff: float,
    dry_run: bool,
) -> Tuple[int, int]:
    """(conversations, rows) of anonymised reports' conversations: wholly when inactive, else every
    session before the current one."""
    inactive = [s for s in senders if (last := newest.get(s)) is not None and last < cutoff]
    active = [s for s in senders if s in newest and s not in set(inactive)]  # the user wrote lately
    conversations, rows = _delete_inactive(connection, inactive, cutoff, dry_run)
    for sender, start in tracker.current_session_starts(connection, active).items():
        deleted = _count_or_delete(connection, and_(EVENTS.c.sender_id == sender, EVENTS.c.timestamp < start), dry_run)
        conversations += 1 if deleted else 0
        rows += deleted
    return conversations, rows


@contextlib.contextmanager
def _tracker_connection(settings: Settings, session: Optional[Session] = None) -> Iterator[Connection]:
    """A connection to the tracker store. When it is the app database itself, the session's own
    connection: one transaction for both (and SQLite, with one writer at a time, would otherwise
    wait for the session's lock until it times out)."""
    if session is not None and settings.tracker_store_url == settings.database_url:
        yield session.connection()
        return
    with engine_for(settings.tracker_store_url).begin() as connection:
        yield connection


# --- the run ------------------------------------------------------------------------------------
def run_retention(settings: Settings, now: dt.datetime, dry_run: bool = False) -> RetentionResult:
    """Apply the retention policy once (see the module docstring). Raises ValueError for limits
    below one day, SQLAlchemyError/OSError when a database fails (after recording, when the app
    database still works, what was done before the failure)."""
    limits = retention_limits(settings, now)
    result = RetentionResult(
        dry_run=dry_run, conversation_days=limits.conversation_days, closed_report_days=limits.closed_report_days
    )
    try:
        _run(settings, limits, result)
    except Exception as error:
        result.error = type(error).__name__
        if not dry_run:
            _record_failure(settings, result)
        logger.error("retention: run stopped (%s) after: %s", result.error, result.summary())
        raise
    logger.info("%s", result.summary())
    return result


def _record_failure(settings: Settings, result: RetentionResult) -> None:
    try:
        with transaction(settings.database_url) as session:
            session.add(AuditEntry(actor=ACTOR, action=AUDIT_ACTION, detail=result.detail()))
    except Exception as error:  # noqa: BLE001 - the original error is what the caller sees
        logger.error("retention: the failed run could not be recorded either (%s)", type(error).__name__)


def _run(settings: Settings, limits: RetentionLimits, result: RetentionResult) -> None:
    dry_run = result.dry_run
    conversation_cutoff = epoch_seconds(limits.conversation_cutoff)
    tracker = TrackerEvents(settings.tracker_store_url)
    has_tracker = tracker.available()
    newest = tracker.newest_by_sender() if has_tracker else {}

    # (b) closed reports, in batches; each batch's tracker rows go before its commit, so a failed
    # delete leaves the reports as they were and the next run tries again.
    with transaction(settings.database_url) as session:
        due: List[Tuple[int, Optional[str], Optional[str]]] = [
            (int(r.id), r.conversation_id, r.recruiter_kind)
            for r in session.execute(
                select(Report.id, Report.conversation_id, Report.recruiter_kind)
                .where(_due_condition(limits.report_cutoff))
                .order_by(Report.id)
            )
        ]
    for batch in _batches(due):
        with transaction(settings.database_url) as session:
            counts = _anonymise_batch(
                settings, session, tracker if has_tracker else None, batch, limits, newest, dry_run
            )
        # Counted once committed: a failed batch is redone by the next run and counted there.
        result.reports_anonymised += counts[0]
        result.staff_messages_cleared += counts[1]
        result.report_conversations_deleted += counts[2]
        result.tracker_events_deleted += counts[3]

    # (a) conversations no report links to (read again: a report may have been filed meanwhile).
    if has_tracker:
        with transaction(settings.database_url) as session:
            linked = set(
                session.execute(
                    select(Report.conversation_id).where(Report.conversation_id.isnot(None)).distinct()
                ).scalars()
            )
        # In a dry run the reports counted in (b) still link their conversations, as they should:
        # those were counted there.
        stale = stale_conversations(newest, linked, conversation_cutoff)
        with _tracker_connection(settings) as connection:
            conversations, rows = _delete_inactive(connection, stale, conversation_cutoff, dry_run)
        result.conversations_deleted += conversations
        result.tracker_events_deleted += rows

    # (c) and (d): the inbox, the counters and the audit entry in one transaction.
    with transaction(settings.database_url) as session:
        # Sessions are 12 hours at most; a month later a revoked or expired one only says when
        # somebody signed in, which the audit trail keeps where it matters.
        ended_sessions = StaffSession.created_at < limits.now - SESSION_ROWS_KEPT
        # Finished rows, and rows still pending after the whole conversation limit: a message nobody
        # could answer in 90 days is not answered by replaying it, and its text must not stay.
        inbox = InboxMessage.received_at < limits.conversation_cutoff
        if dry_run:
            result.inbox_rows_deleted = int(
                session.execute(select(func.count(InboxMessage.id)).where(inbox)).scalar_one()
            )
            result.counter_windows_deleted = int(
                session.execute(
                    select(func.count(SecurityCounter.id)).where(SecurityCounter.window_start < limits.counter_cutoff)
                ).scalar_one()
            )
            result.staff_sessions_deleted = int(
                session.execute(select(func.count(StaffSession.id)).where(ended_sessions)).scalar_one()
            )
            return
        result.inbox_rows_deleted = int(
            session.execute(delete(InboxMessage).where(inbox).execution_options(synchronize_session=False)).rowcount
            or 0
        )
        result.counter_windows_deleted = forget_before(session, limits.counter_cutoff)
        result.staff_sessions_deleted = int(
            session.execute(
                delete(StaffSession).where(ended_sessions).execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
        session.add(AuditEntry(actor=ACTOR, action=AUDIT_ACTION, detail=result.detail()))


def _anonymise_batch(
    settings: Settings,
    session: Session,
    tracker: Optional[TrackerEvents],
    batch: Sequence[Tuple[int, Optional[str], Optional[str]]],
    limits: RetentionLimits,
    newest: Mapping[str, Optional[float]],
    dry_run: bool,
) -> Tuple[int, int, int, int]:
    """(reports, staff messages, conversations, tracker rows) of one batch, in the session's
    transaction; the tracker rows go before the caller commits."""
    anonymised = _anonymise(session, batch, limits, dry_run)
    messages = _clear_staff_messages(session, [report_id for report_id, _ in anonymised], dry_run)
    candidates = conversations_freed(anonymised, [])
    # A report that stays (open, or closed more recently) may share the conversation: it is kept.
    still = _still_linked(session, candidates, {report_id for report_id, _ in anonymised} if dry_run else set())
    freed = conversations_freed(anonymised, still)
    conversations = rows = 0
    if tracker is not None and freed:
        with _tracker_connection(settings, session) as connection:
            conversations, rows = _delete_report_conversations(
                tracker, connection, freed, newest, epoch_seconds(limits.conversation_cutoff), dry_run
            )
    if not dry_run:
        for report_id, conversation in anonymised:
            session.add(
                ReportEvent(
                    report_id=report_id,
                    kind="anonymised",
                    actor=ACTOR,
                    detail={
                        "retention_days": limits.closed_report_days,
                        "conversation": (
                            "none"
                            if not conversation
                            else "deleted"
                            if conversation in freed
                            else "kept for another report"
                        ),
                    },
                )
            )
    return len(anonymised), messages, conversations, rows


def _anonymise(
    session: Session, batch: Sequence[Tuple[int, Optional[str], Optional[str]]], limits: RetentionLimits, dry_run: bool
) -> List[Tuple[int, Optional[str]]]:
    """Anonymise the batch's reports that are still due (staff may have reopened one since the
    selection); returns (id, former conversation id) of those anonymised."""
    done: List[Tuple[int, Optional[str]]] = []
    for report_id, conversation, recruiter_kind in batch:
        condition = and_(Report.id == report_id, _due_condition(limits.report_cutoff))
        if dry_run:
            if session.execute(select(Report.id).where(condition)).first():
                done.append((report_id, conversation))
            continue
        changed = session.execute(
            update(Report)
            .where(condition)
            # updated_at keeps its value (the column's onupdate would set it to now): the date the
            # case was last worked on is statistics; anonymised_at says when this happened.
            .values(**anonymised_values(recruiter_kind), anonymised_at=limits.now, updated_at=Report.updated_at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            done.append((report_id, conversation))
    if done and not dry_run:
        ids = [report_id for report_id, _ in done]
        for event in session.execute(
            select(ReportEvent).where(ReportEvent.report_id.in_(ids), ReportEvent.kind.in_(tuple(FREE_TEXT_EVENT_KEYS)))
        ).scalars():
            scrubbed = scrubbed_event_detail(event.kind, event.detail)
            if scrubbed is not None:
                event.detail = scrubbed
    return done


def _clear_staff_messages(session: Session, report_ids: Sequence[int], dry_run: bool) -> int:
    if not report_ids:
        return 0
    condition = and_(StaffMessage.report_id.in_(report_ids), StaffMessage.body != REMOVED_TEXT)
    if dry_run:
        return int(session.execute(select(func.count(StaffMessage.id)).where(condition)).scalar_one())
    return int(
        session.execute(
            update(StaffMessage).where(condition).values(body=REMOVED_TEXT).execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def _still_linked(session: Session, conversations: Sequence[str], ignoring: Set[int]) -> Set[str]:
    """Which of these conversations a report still links to (after this batch's anonymisation;
    in a dry run, ignoring the batch's reports, which a real run would have unlinked)."""
    if not conversations:
        return set()
    query = select(Report.conversation_id).where(Report.conversation_id.in_(list(conversations)))
    if ignoring:
        query = query.where(Report.id.notin_(list(ignoring)))
    return set(session.execute(query.distinct()).scalars())
