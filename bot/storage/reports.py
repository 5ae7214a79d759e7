"""Saving reports and answering status checks. Every function takes an open session; callers own
the transaction (bot.storage.db.transaction), so a report is committed before the bot says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.alerts.outbox import needs_staff_alert
from bot.alerts.reporter_notices import initial_notice
from bot.recruitment.linking import same_recruiter
from bot.recruitment.registry import normalise_name
from bot.reports.codes import (
    DUMMY_PIN_HASH,
    LEGACY_SCHEME_PREFIX,
    hash_pin,
    is_legacy_pin_hash,
    new_case_code,
    new_pin,
    verify_pin,
    wrap_legacy_pin_hash,
)
from bot.reports.draft import ReportDraft
from bot.reports.status import ReportStatus
from bot.storage import counters
from bot.storage.counters import counter_key
from bot.storage.models import AuditEntry, Recruiter, Report, ReportEvent, StaffAlert, StaffMessage, utcnow


def find_or_create_recruiter(session: Session, draft: ReportDraft) -> Optional[Recruiter]:
    """The recruiter this report names: same phone, or a close name in the same area (linking)."""
    if not draft.recruiter_phone and not draft.recruiter_name:
        return None
    if draft.recruiter_phone:
        found = (
            session.execute(select(Recruiter).where(Recruiter.phone_e164 == draft.recruiter_phone)).scalars().first()
        )
        if found:
            return found
    name = normalise_name(draft.recruiter_name or "")
    if name and draft.location:
        # Three short columns, not every recruiter as an object: this runs for every saved report.
        rows = session.execute(
            select(Recruiter.id, Recruiter.normalised_name, Recruiter.area)
            .where(Recruiter.normalised_name.isnot(None), Recruiter.area.isnot(None))
            .order_by(Recruiter.id)
        ).all()
        match_id = same_recruiter(name, draft.location, ((row[0], row[1], row[2]) for row in rows))
        if match_id is not None:
            candidate = session.get(Recruiter, match_id)
            if candidate is not None:
                if draft.recruiter_phone and not candidate.phone_e164:
                    candidate.phone_e164 = draft.recruiter_phone
                return candidate
    recruiter = Recruiter(
        display_name=draft.recruiter_name,
        normalised_name=name or None,
        kind=draft.recruiter_kind,
        phone_e164=draft.recruiter_phone,
        area=draft.location,
    )
    session.add(recruiter)
    return recruiter


def _unused_case_code(session: Session) -> str:
    while True:
        code = new_case_code()
        if not session.execute(select(Report.id).where(Report.case_code == code)).first():
            return code


def save_report(
    session: Session,
    draft: ReportDraft,
    risk_level: str,
    flags: Sequence[str],
    channel: str,
    conversation_id: Optional[str],
    language: str,
    pin_key: bytes,
    consent_text: Optional[str] = None,
    consent_at: Optional[dt.datetime] = None,
) -> Tuple[Report, str]:
    """Add the report, link it to its recruiter and record the creation event. Returns the report and
    its PIN (the only time the PIN exists in clear: it is stored as a salted hash keyed with
    ``pin_key``, bot/kept_secrets.report_pin_key)."""
    pin = new_pin()
    report = Report(
        case_code=_unused_case_code(session),
        pin_hash=hash_pin(pin, pin_key),
        status=ReportStatus.NEW.value,
        risk_level=risk_level,
        flags=list(flags),
        channel=channel,
        conversation_id=conversation_id,
        language=language,
        what_happened=draft.what_happened,
        recruiter_name=draft.recruiter_name,
        recruiter_kind=draft.recruiter_kind,
        recruiter_phone=draft.recruiter_phone,
        location=draft.location,
        money_text=draft.money_text,
        money_idr=int(draft.money_idr) if draft.money_idr is not None else None,
        documents_held=draft.documents_held,
        reporter_safe=draft.reporter_safe,
        reporter_location=draft.reporter_location,
        consent_to_contact=draft.consent_to_contact,
        anonymous=draft.anonymous,
        reporter_contact=draft.reporter_contact,
        consent_text=consent_text,
        consent_recorded_at=consent_at if consent_text else None,
    )
    report.recruiter = find_or_create_recruiter(session, draft)
    session.add(report)
    session.flush()
    session.add(
        ReportEvent(
            report_id=report.id,
            kind="created",
            actor="reporter",
            detail={"risk_level": risk_level, "flags": list(flags), "channel": channel},
        )
    )
    if needs_staff_alert(risk_level):
        # Same transaction as the report (outbox): the alert exists exactly when the report does.
        session.add(StaffAlert(report_id=report.id))
    return report, pin


def wrap_legacy_pin_hashes(session: Session, pin_key: bytes, batch: int = 500) -> int:
    """Wrap every unkeyed scrypt PIN hash with the key (bot/reports/codes.py); returns how many.
    Idempotent, and one short query when there are none (every start runs it)."""
    wrapped, after_id = 0, 0
    while True:
        rows = session.execute(
            select(Report.id, Report.pin_hash)
            .where(Report.id > after_id, Report.pin_hash.startswith(LEGACY_SCHEME_PREFIX, autoescape=True))
            .order_by(Report.id)
            .limit(batch)
        ).all()
        for report_id, stored in rows:
            new = wrap_legacy_pin_hash(stored, pin_key)
            if new != stored:
                # Compare-and-set: a status check that re-hashed the row meanwhile wins.
                changed = session.execute(
                    update(Report).where(Report.id == report_id, Report.pin_hash == stored).values(pin_hash=new)
                )
                wrapped += changed.rowcount
            after_id = report_id
        if len(rows) < batch:
            return wrapped


def reports_about_same_recruiter(session: Session, report: Report) -> int:
    if report.recruiter_id is None:
        return 1
    return session.execute(select(func.count(Report.id)).where(Report.recruiter_id == report.recruiter_id)).scalar_one()


@dataclass(frozen=True)
class StatusView:
    """What a reporter may see about their case: nothing personal, nothing internal."""

    case_code: str
    status: str
    escalated_to: Optional[str]
    messages: Tuple[str, ...]


@dataclass(frozen=True)
class Requester:
    """Who is asking: their conversation, and on REST a keyed hash of their address."""

    conversation_id: str
    client: Optional[str] = None


@dataclass(frozen=True)
class StatusLimits:
    max_failures: int  # wrong codes/PINs per person per lock window
    lock_minutes: int
    checks_per_hour: int  # all checks, per conversation
    checks_per_hour_per_address: int
    # Wrong PINs for one report from other conversations per day, after which only the report's own
    # conversation may still try: a code in the wrong hands cannot be brute-forced, and the
    # reporter is never locked out of their own chat.
    foreign_failures_per_report_per_day: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> "StatusLimits":
        return cls(
            settings.max_pin_failures,
            settings.pin_lock_minutes,
            settings.status_checks_per_hour,
            settings.status_checks_per_hour_per_address,
        )


@dataclass(frozen=True)
class StatusResult:
    """``ok`` with the view, or ``refused``: an unknown code, a wrong PIN, a lock and a rate limit
    give the same answer after the same work (one PIN hash), so none can be told apart."""

    outcome: str
    view: Optional[StatusView] = None


HOUR = 3600
DAY = 24 * HOUR


def _keys(requester: Requester, kind: str) -> List[Tuple[str, bool]]:
    keys = [(counter_key(kind, "conversation", requester.conversation_id), False)]
    if requester.client:
        keys.append((counter_key(kind, "address", requester.client), True))
    return keys


def check_status(
    session: Session,
    case_code: str,
    pin: str,
    requester: Requester,
    now: dt.datetime,
    limits: StatusLimits,
    pin_key: bytes,
) -> StatusResult:
    """Every try is counted before the PIN is checked (an atomic increment, so parallel guesses are
    all counted and only the first ``max_failures`` of them are even checked); a right PIN clears
    the conversation's count."""
    lock_window = limits.lock_minutes * 60
    over = False
    for key, is_address in _keys(requester, "status-check"):
        count = counters.hit(session, key, HOUR, now)
        over |= count > (limits.checks_per_hour_per_address if is_address else limits.checks_per_hour)
    for key, is_address in _keys(requester, "status-try"):
        # An address is shared by a whole household or office: it gets more room than one chat.
        over |= counters.hit(session, key, lock_window, now) > limits.max_failures * (4 if is_address else 1)
    report = session.execute(select(Report).where(Report.case_code == case_code)).scalars().first()
    own = report is not None and report.conversation_id == requester.conversation_id
    # Counted by the code as typed, known or not, so an unknown code costs the same writes.
    foreign_tries = counters.hit(session, counter_key("status-try-code", case_code), DAY, now)
    over |= not own and foreign_tries > limits.foreign_failures_per_report_per_day
    # Always exactly one PIN hash, whatever the outcome, so the timing tells nothing either (but for
    # reports of earlier versions, whose slow hash is replaced at their first right PIN).
    stored = report.pin_hash if report is not None else DUMMY_PIN_HASH
    pin_ok = verify_pin(pin, stored, pin_key) and report is not None
    if over or not pin_ok:
        # One row written for every refusal: on the report's trail, or (unknown code) in the audit log.
        if report is not None:
            session.add(
                ReportEvent(
                    report_id=report.id,
                    kind="wrong_pin",
                    actor="reporter",
                    detail={"own_chat": own, "checked": not over},
                )
            )
        else:
            session.add(AuditEntry(actor="reporter", action="status_unknown_code", detail={}))
        return StatusResult("refused")
    assert report is not None
    if is_legacy_pin_hash(report.pin_hash):
        report.pin_hash = hash_pin(pin, pin_key)
    counters.clear(session, [key for key, is_address in _keys(requester, "status-try") if not is_address])
    messages: List[str] = []
    for message in report.messages:
        messages.append(message.body)
        if message.delivered_at is None:
            message.delivered_at = now
    session.add(ReportEvent(report_id=report.id, kind="status_checked", actor="reporter", detail={}))
    return StatusResult("ok", StatusView(report.case_code, report.status, report.escalated_to, tuple(messages)))


@dataclass(frozen=True)
class FilingLimits:
    per_day: int
    per_day_per_address: int

    @classmethod
    def from_settings(cls, settings: Any) -> "FilingLimits":
        return cls(settings.reports_per_day, settings.reports_per_day_per_address)


def may_file_report(session: Session, requester: Requester, now: dt.datetime, limits: FilingLimits) -> bool:
    """Count one report for this conversation and address; False when either is over its daily
    limit (the answers stay with the user, who is told to try later or call the hotline)."""
    allowed = True
    for key, is_address in _keys(requester, "report-filed"):
        count = counters.hit(session, key, DAY, now)
        allowed &= count <= (limits.per_day_per_address if is_address else limits.per_day)
    return allowed


def add_staff_message(session: Session, report: Report, author: str, body: str) -> StaffMessage:
    # Same transaction as the message (outbox): a chat we can write to gets a notice that there is
    # news (never the message itself), sent by the notifier (bot/alerts/reporter_notices.py).
    notice_status, notice_next_at = initial_notice(report.channel, report.conversation_id, utcnow())
    message = StaffMessage(
        report_id=report.id, author=author, body=body, notice_status=notice_status, notice_next_at=notice_next_at
    )
    session.add(message)
    session.add(ReportEvent(report_id=report.id, kind="message_to_reporter", actor=author, detail={}))
    return message
