"""Saving reports and answering status checks. Every function takes an open session; callers own
the transaction (bot.storage.db.transaction), so a report is committed before the bot says so."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.outbox import needs_staff_alert
from bot.alerts.reporter_notices import initial_notice
from bot.recruitment.registry import normalise_name
from bot.reports.codes import hash_pin, new_case_code, new_pin, verify_pin
from bot.reports.draft import ReportDraft
from bot.storage.models import Recruiter, Report, ReportEvent, StaffAlert, StaffMessage, minutes_left, utcnow

SAME_NAME_SCORE = 90


def _same_area(a: Optional[str], b: Optional[str]) -> bool:
    return bool(a and b and normalise_name(a) == normalise_name(b))


def find_or_create_recruiter(session: Session, draft: ReportDraft) -> Optional[Recruiter]:
    """The recruiter this report names: same phone, or a close name in the same area (linking)."""
    if not draft.recruiter_phone and not draft.recruiter_name:
        return None
    if draft.recruiter_phone:
        found = session.execute(select(Recruiter).where(Recruiter.phone_e164 == draft.recruiter_phone)).scalars().first()
        if found:
            return found
    name = normalise_name(draft.recruiter_name or "")
    if name and draft.location:
        for candidate in session.execute(select(Recruiter).where(Recruiter.normalised_name.isnot(None))).scalars():
            if fuzz.ratio(name, candidate.normalised_name) >= SAME_NAME_SCORE and _same_area(draft.location, candidate.area):
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
) -> Tuple[Report, str]:
    """Add the report, link it to its recruiter and record the creation event. Returns the report and
    its PIN (the only time the PIN exists in clear: it is stored as a salted hash)."""
    pin = new_pin()
    report = Report(
        case_code=_unused_case_code(session),
        pin_hash=hash_pin(pin),
        status="new",
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
    )
    report.recruiter = find_or_create_recruiter(session, draft)
    session.add(report)
    session.flush()
    session.add(ReportEvent(report_id=report.id, kind="created", actor="reporter",
                            detail={"risk_level": risk_level, "flags": list(flags), "channel": channel}))
    if needs_staff_alert(risk_level):
        # Same transaction as the report (outbox): the alert exists exactly when the report does.
        session.add(StaffAlert(report_id=report.id))
    return report, pin


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
class StatusResult:
    outcome: str  # "ok", "no_match" or "locked"
    view: Optional[StatusView] = None
    locked_minutes: int = 0


def check_status(
    session: Session, case_code: str, pin: str, now: dt.datetime, max_failures: int, lock_minutes: int
) -> StatusResult:
    """A wrong PIN and an unknown code look the same to the user, so codes cannot be probed."""
    report = session.execute(select(Report).where(Report.case_code == case_code)).scalars().first()
    if report is None:
        return StatusResult("no_match")
    if report.pin_locked_until and report.pin_locked_until > now:
        return StatusResult("locked", locked_minutes=minutes_left(report.pin_locked_until, now))
    if not verify_pin(pin, report.pin_hash):
        report.failed_pin_attempts += 1
        session.add(ReportEvent(report_id=report.id, kind="wrong_pin", actor="reporter", detail={}))
        if report.failed_pin_attempts >= max_failures:
            report.failed_pin_attempts = 0
            report.pin_locked_until = now + dt.timedelta(minutes=lock_minutes)
            return StatusResult("locked", locked_minutes=lock_minutes)
        return StatusResult("no_match")
    report.failed_pin_attempts = 0
    report.pin_locked_until = None
    messages: List[str] = []
    for message in report.messages:
        messages.append(message.body)
        if message.delivered_at is None:
            message.delivered_at = now
    session.add(ReportEvent(report_id=report.id, kind="status_checked", actor="reporter", detail={}))
    return StatusResult("ok", StatusView(report.case_code, report.status, report.escalated_to, tuple(messages)))


def add_staff_message(session: Session, report: Report, author: str, body: str) -> StaffMessage:
    # Same transaction as the message (outbox): a chat we can write to gets a notice that there is
    # news (never the message itself), sent by the notifier (bot/alerts/reporter_notices.py).
    notice_status, notice_next_at = initial_notice(report.channel, report.conversation_id, utcnow())
    message = StaffMessage(report_id=report.id, author=author, body=body,
                           notice_status=notice_status, notice_next_at=notice_next_at)
    session.add(message)
    session.add(ReportEvent(report_id=report.id, kind="message_to_reporter", actor=author, detail={}))
    return message
