"""CSV export of reports; personal data masked unless the reader is an admin.

Times are written in the console's time zone with their UTC offset (ISO 8601,
``2026-12-03T20:15:00+07:00``): the staff read them as the console shows them, and a spreadsheet
or script that reads the offset still knows the instant."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Iterable, List

from bot.storage.models import Report
from console.privacy import can_see_contact, mask

COLUMNS: List[str] = [
    "id",
    "case_code",
    "status",
    "risk_level",
    "flags",
    "channel",
    "created_at",
    "assigned_to",
    "escalated_to",
    "decision_reason",
    "recruiter_name",
    "recruiter_kind",
    "recruiter_phone",
    "location",
    "money_text",
    "money_idr",
    "documents_held",
    "what_happened",
    "consent_to_contact",
    "anonymous",
    "reporter_contact",
]
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def zoned_time(stored_utc: dt.datetime, zone: dt.tzinfo) -> str:
    """A stored time (naive UTC, as the models keep it) in ``zone``, with its offset."""
    return stored_utc.replace(tzinfo=dt.timezone.utc).astimezone(zone).isoformat(timespec="seconds")


def _row(report: Report, role: str, zone: dt.tzinfo) -> List[str]:
    is_admin = role == "admin"
    contact = report.reporter_contact if can_see_contact(role, report) else ""
    values = {
        "id": report.id,
        "case_code": report.case_code,
        "status": report.status,
        "risk_level": report.risk_level,
        "flags": " ".join(report.flags or []),
        "channel": report.channel,
        "created_at": zoned_time(report.created_at, zone),
        "assigned_to": report.assigned_to,
        "escalated_to": report.escalated_to,
        "decision_reason": report.decision_reason,
        "recruiter_name": report.recruiter_name,
        "recruiter_kind": report.recruiter_kind,
        "recruiter_phone": report.recruiter_phone if is_admin else mask(report.recruiter_phone),
        "location": report.location,
        "money_text": report.money_text,
        "money_idr": report.money_idr,
        "documents_held": report.documents_held,
        "what_happened": report.what_happened,
        "consent_to_contact": report.consent_to_contact,
        "anonymous": report.anonymous,
        "reporter_contact": contact if is_admin else mask(contact),
    }
    return [safe_cell(values[column]) for column in COLUMNS]


def reports_csv(reports: Iterable[Report], role: str, zone: dt.tzinfo) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for report in reports:
        writer.writerow(_row(report, role, zone))
    return buffer.getvalue()
