"""What reviewers do to a report: change its status, assign it, note, message the reporter.

``transition_problem`` is the pure rule book; the other functions apply a change to a report in an
open session and write the ReportEvent that records who did it.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports.status import CLOSED_STATUSES, ReportStatus
from bot.storage.models import Report, ReportEvent, StaffMessage, StaffUser
from bot.storage.reports import add_staff_message
from console.labels import STATUS_LABELS

# Institutions a report can be escalated to: the key is stored on the report and is what the reporter
# sees on a status check; the value is the longer name staff pick from in the console (in the page's
# language).
INSTITUTIONS: Dict[str, LazyString] = {
    "KP2MI": _l("KP2MI (Kementerian Pelindungan Pekerja Migran Indonesia)"),
    "Kemnaker": _l("Kemnaker (Kementerian Ketenagakerjaan)"),
    "Polri": _l("Polri (police)"),
    "KBRI Tokyo": _l("KBRI Tokyo (Embassy of Indonesia)"),
    "KJRI Osaka": _l("KJRI Osaka (Consulate General of Indonesia)"),
    "OTIT": _l("OTIT (Organization for Technical Intern Training, Japan)"),
}

# Where each status may go. new → in_review → escalated → resolved | dismissed is the usual path;
# an urgent case may be escalated straight away, and a closed case can be reopened for review.
_NEW, _IN_REVIEW, _ESCALATED = ReportStatus.NEW.value, ReportStatus.IN_REVIEW.value, ReportStatus.ESCALATED.value
_RESOLVED, _DISMISSED = ReportStatus.RESOLVED.value, ReportStatus.DISMISSED.value
TRANSITIONS: Dict[str, FrozenSet[str]] = {
    _NEW: frozenset({_IN_REVIEW, _ESCALATED, _DISMISSED}),
    _IN_REVIEW: frozenset({_ESCALATED, _RESOLVED, _DISMISSED}),
    _ESCALATED: frozenset({_RESOLVED, _DISMISSED}),
    _RESOLVED: frozenset({_IN_REVIEW}),
    _DISMISSED: frozenset({_IN_REVIEW}),
}
# Changes that must say why (kept on the report and in the audit trail).
NEEDS_REASON = frozenset(CLOSED_STATUSES)
MAX_TEXT = 4000


class WorkflowError(ValueError):
    """A change that is not allowed; the message is safe to show to staff (in the page's language)."""


def allowed_targets(status: str) -> FrozenSet[str]:
    return TRANSITIONS.get(status, frozenset())


def transition_problem(current: str, target: str, institution: Optional[str], reason: Optional[str]) -> Optional[str]:
    """Why this status change is not allowed (in the page's language, statuses by their labels), or
    None when it is."""
    if target not in TRANSITIONS:
        return _("Unknown status %(status)s.", status=repr(target))
    if target not in allowed_targets(current):
        return _(
            "A report cannot go from %(current)s to %(target)s.",
            current=STATUS_LABELS.get(current, current),
            target=STATUS_LABELS[target],
        )
    if target == _ESCALATED and institution not in INSTITUTIONS:
        return _("Choose the institution the report is escalated to.")
    if target in NEEDS_REASON and not (reason or "").strip():
        return _("Say why the report is %(status)s.", status=STATUS_LABELS[target])
    return None


# What _clean_text names in its messages (the key is only for the code).
_TEXT_NAMES: Dict[str, LazyString] = {"reason": _l("reason"), "note": _l("note"), "message": _l("message")}


def _clean_text(text: Optional[str], what: str) -> str:
    cleaned = (text or "").strip()
    name = str(_TEXT_NAMES.get(what, what))
    if not cleaned:
        raise WorkflowError(_("The %(what)s is empty.", what=name))
    if len(cleaned) > MAX_TEXT:
        raise WorkflowError(_("The %(what)s is longer than %(limit)s characters.", what=name, limit=MAX_TEXT))
    return cleaned


def change_status(
    session: Session,
    report: Report,
    target: str,
    actor: str,
    institution: Optional[str] = None,
    reason: Optional[str] = None,
) -> ReportEvent:
    problem = transition_problem(report.status, target, institution, reason)
    if problem:
        raise WorkflowError(problem)
    detail: Dict[str, str] = {"from": report.status, "to": target}
    report.status = target
    if target == _ESCALATED:
        report.escalated_to = institution
        detail["institution"] = institution or ""
    if (reason or "").strip():
        detail["reason"] = _clean_text(reason, "reason")
    if target in NEEDS_REASON:
        report.decision_reason = detail["reason"]  # present: transition_problem demands a reason
    event = ReportEvent(report_id=report.id, kind="status_changed", actor=actor, detail=detail)
    session.add(event)
    return event


def assign(session: Session, report: Report, assignee: Optional[str], actor: str) -> ReportEvent:
    """Give the report to an active staff user (or to nobody with ``assignee`` None/empty)."""
    assignee = (assignee or "").strip() or None
    if assignee is not None:
        user = session.execute(select(StaffUser).where(StaffUser.username == assignee)).scalars().first()
        if user is None or not user.active:
            raise WorkflowError(_("No active staff user %(name)s.", name=repr(assignee)))
    if assignee == report.assigned_to:
        raise WorkflowError(_("The report is already assigned that way."))
    event = ReportEvent(
        report_id=report.id,
        kind="assigned",
        actor=actor,
        detail={"from": report.assigned_to or "", "to": assignee or ""},
    )
    report.assigned_to = assignee
    session.add(event)
    return event


def add_note(session: Session, report: Report, actor: str, text: str) -> ReportEvent:
    """An internal note: staff only, never shown to the reporter."""
    event = ReportEvent(report_id=report.id, kind="note", actor=actor, detail={"note": _clean_text(text, "note")})
    session.add(event)
    return event


def message_reporter(session: Session, report: Report, actor: str, text: str) -> StaffMessage:
    """A message the reporter sees on their next status check (bot.storage.reports.check_status)."""
    return add_staff_message(session, report, actor, _clean_text(text, "message"))
