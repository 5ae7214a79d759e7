"""Reports in a real database: SQLite file, and PostgreSQL on localhost when it is running."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.manage import ensure_registry
from bot.reports.draft import ReportDraft
from bot.storage.db import transaction
from bot.storage.models import Report, ReportEvent
from bot.storage.registry import load_registry
from bot.storage.reports import add_staff_message, check_status, reports_about_same_recruiter, save_report


def draft(**changes) -> ReportDraft:
    values = dict(what_happened="ditawari kerja pabrik, bayar 40jt ke calo", recruiter_name="Pak Darto",
                  recruiter_kind="individual", recruiter_phone="+6281234567890", location="Kab. Garut",
                  consent_to_contact=True, anonymous=False, reporter_contact="+6289876543210")
    values.update(changes)
    return ReportDraft(**values)


NOW = dt.datetime(2026, 11, 27, 12, 0)


def test_report_is_saved_with_hashed_pin_and_audit_event(database_url: str) -> None:
    with transaction(database_url) as session:
        report, pin = save_report(session, draft(), "high", ["unlicensed_agency"], "telegram", "chat-1", "id")
        code = report.case_code
    with transaction(database_url) as session:
        stored = session.execute(select(Report).where(Report.case_code == code)).scalar_one()
        assert stored.pin_hash != pin and pin not in stored.pin_hash
        assert stored.flags == ["unlicensed_agency"] and stored.risk_level == "high"
        events = session.execute(select(ReportEvent).where(ReportEvent.report_id == stored.id)).scalars().all()
        assert [e.kind for e in events] == ["created"]


def test_status_with_the_right_pin_shows_status_and_staff_messages(database_url: str) -> None:
    with transaction(database_url) as session:
        report, pin = save_report(session, draft(), "high", ["upfront_fee"], "rest", "u", "id")
        report.status = "escalated"
        report.escalated_to = "KP2MI"
        add_staff_message(session, report, "reviewer1", "Laporanmu sudah kami teruskan ke KP2MI.")
        code = report.case_code
    with transaction(database_url) as session:
        result = check_status(session, code, pin, NOW, max_failures=5, lock_minutes=15)
    assert result.outcome == "ok"
    assert result.view.status == "escalated" and result.view.escalated_to == "KP2MI"
    assert result.view.messages == ("Laporanmu sudah kami teruskan ke KP2MI.",)


def test_wrong_pin_shows_nothing_and_repeated_failures_lock(database_url: str) -> None:
    with transaction(database_url) as session:
        report, pin = save_report(session, draft(), "high", [], "rest", "u", "id")
        code = report.case_code
    wrong = "000000" if pin != "000000" else "111111"
    for attempt in range(4):
        with transaction(database_url) as session:
            result = check_status(session, code, wrong, NOW, max_failures=5, lock_minutes=15)
        assert result.outcome == "no_match" and result.view is None
    with transaction(database_url) as session:
        assert check_status(session, code, wrong, NOW, 5, 15).outcome == "locked"
    with transaction(database_url) as session:
        # Even the right PIN waits out the lock, so guessing gains nothing.
        assert check_status(session, code, pin, NOW + dt.timedelta(minutes=5), 5, 15).outcome == "locked"
    with transaction(database_url) as session:
        assert check_status(session, code, pin, NOW + dt.timedelta(minutes=16), 5, 15).outcome == "ok"


def test_unknown_code_looks_like_a_wrong_pin(database_url: str) -> None:
    with transaction(database_url) as session:
        assert check_status(session, "ZZZZ-9999", "123456", NOW, 5, 15).outcome == "no_match"


def test_reports_about_the_same_recruiter_are_linked(database_url: str) -> None:
    with transaction(database_url) as session:
        first, _ = save_report(session, draft(), "high", [], "rest", "a", "id")
        same_phone, _ = save_report(session, draft(recruiter_name="Darto"), "high", [], "rest", "b", "id")
        close_name, _ = save_report(session, draft(recruiter_phone=None, recruiter_name="Pak Dartoo"), "high", [], "rest", "c", "id")
        other_area, _ = save_report(session, draft(recruiter_phone=None, location="Kota Medan"), "high", [], "rest", "d", "id")
        session.flush()
        assert first.recruiter_id == same_phone.recruiter_id == close_name.recruiter_id
        assert other_area.recruiter_id != first.recruiter_id
        assert reports_about_same_recruiter(session, first) == 3


def test_registry_is_imported_once_into_an_empty_database(database_url: str) -> None:
    ensure_registry(database_url)
    ensure_registry(database_url)
    with transaction(database_url) as session:
        entries = load_registry(session)
    assert len(entries) == 4
