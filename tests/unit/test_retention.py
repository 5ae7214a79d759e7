"""The retention policy on SQLite and PostgreSQL, with a tracker store written by Rasa's own
SQLTrackerStore: what goes, what stays, that a dry run counts exactly what a run deletes, and the
audit entry."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from typing import Dict, Iterator, List, Optional

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.manage import migrate
from bot.privacy import retention
from bot.privacy.retention import (
    REMOVED_TEXT,
    RetentionLimits,
    anonymised_values,
    epoch_seconds,
    report_is_due,
    run_retention,
    scrubbed_event_detail,
    stale_conversations,
)
from bot.settings import Settings, get_settings
from bot.storage.db import engine_for, transaction
from bot.storage.models import (
    AuditEntry,
    InboxMessage,
    Recruiter,
    Report,
    ReportEvent,
    SecurityCounter,
    StaffMessage,
)
from tests.databases import postgres_or_missing

NOW = dt.datetime(2026, 6, 1, 12, 0)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


# --- pure selection ------------------------------------------------------------------------------
def test_stale_conversations_are_old_and_unlinked() -> None:
    cutoff = epoch_seconds(days_ago(90))
    newest = {
        "old": epoch_seconds(days_ago(91)),
        "linked": epoch_seconds(days_ago(400)),
        "fresh": epoch_seconds(days_ago(89)),
        "no-time": None,
    }
    assert stale_conversations(newest, {"linked"}, cutoff) == ["old"]


def test_only_closed_untouched_not_yet_anonymised_reports_are_due() -> None:
    cutoff = days_ago(365)
    assert report_is_due("resolved", days_ago(366), None, cutoff)
    assert report_is_due("dismissed", days_ago(366), None, cutoff)
    assert not report_is_due("escalated", days_ago(900), None, cutoff)
    assert not report_is_due("resolved", days_ago(364), None, cutoff)
    assert not report_is_due("resolved", days_ago(900), days_ago(10), cutoff)


def test_anonymised_values_clear_what_identifies_people() -> None:
    person = anonymised_values("individual")
    assert person["what_happened"] == REMOVED_TEXT and person["conversation_id"] is None
    for name in (
        "reporter_contact",
        "reporter_location",
        "recruiter_phone",
        "money_text",
        "documents_held",
        "consent_text",
        "decision_reason",
        "recruiter_name",
    ):
        assert person[name] is None, name
    # An LPK's or company's name is no personal data and is what statistics group by.
    assert "recruiter_name" not in anonymised_values("lpk")
    # Kept for statistics: never in the values to change.
    assert not {
        "risk_level",
        "flags",
        "status",
        "channel",
        "language",
        "recruiter_id",
        "money_idr",
        "created_at",
        "updated_at",
        "case_code",
    } & set(person)


def test_staff_free_text_leaves_the_audit_trail_but_the_facts_stay() -> None:
    assert scrubbed_event_detail("note", {"note": "ibunya menelepon dari 0812..."}) == {"note": REMOVED_TEXT}
    assert scrubbed_event_detail(
        "status_changed", {"from": "in_review", "to": "resolved", "reason": "pulang ke Garut"}
    ) == {"from": "in_review", "to": "resolved", "reason": REMOVED_TEXT}
    assert scrubbed_event_detail("status_changed", {"from": "new", "to": "in_review"}) is None
    assert scrubbed_event_detail("created", {"risk_level": "high"}) is None


def test_limits_below_a_day_are_refused() -> None:
    settings = dataclasses.replace(get_settings(), retention_conversation_days=0)
    assert retention.limit_problems(settings) == ["RETENTION_CONVERSATION_DAYS must be at least 1 day(s), not 0."]
    with pytest.raises(ValueError, match=r"^RETENTION_CONVERSATION_DAYS must be at least 1 day\(s\), not 0\.$"):
        run_retention(settings, NOW)


# --- against real databases ------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "sqlite-one-file", "postgresql"])
def stores(request, tmp_path) -> Iterator[Settings]:
    """Settings whose app database is migrated and whose tracker store is Rasa's. On PostgreSQL
    both live in one database, as in deploy/; on SQLite apart (`make run`) or in one file."""
    if request.param.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'app.db'}"
        tracker_url = url if request.param == "sqlite-one-file" else f"sqlite:///{tmp_path / 'tracker.db'}"
        migrate(url)
        yield dataclasses.replace(
            get_settings(),
            database_url=url,
            tracker_store_url=tracker_url,
            retention_conversation_days=90,
            retention_closed_report_days=365,
        )
        return
    with postgres_or_missing() as url:
        migrate(url)
        yield dataclasses.replace(
            get_settings(),
            database_url=url,
            tracker_store_url=url,
            retention_conversation_days=90,
            retention_closed_report_days=365,
        )


def _rasa_store(tracker_url: str):
    """Rasa's SQLTrackerStore on this URL: it creates the events table as in production."""
    from rasa.core.tracker_store import SQLTrackerStore

    parsed = make_url(tracker_url)
    if parsed.drivername.startswith("sqlite"):
        return SQLTrackerStore(dialect="sqlite", db=parsed.database)
    return SQLTrackerStore(
        dialect="postgresql", host=parsed.host, port=parsed.port, db=parsed.database, username=parsed.username
    )


def _session_events(at: dt.datetime, user_text: str) -> List:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    ts = epoch_seconds(at)
    return [
        ActionExecuted("action_session_start", timestamp=ts),
        SessionStarted(timestamp=ts),
        ActionExecuted("action_listen", timestamp=ts),
        UserUttered(user_text, {"name": "greet", "confidence": 1.0}, timestamp=ts + 1),
        ActionExecuted("action_greet", timestamp=ts + 2),
        BotUttered("Halo!", timestamp=ts + 2),
        ActionExecuted("action_listen", timestamp=ts + 3),
    ]


def save_conversations(tracker_url: str, conversations: Dict[str, List[List]]) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    store = _rasa_store(tracker_url)
    try:
        for sender, sessions in conversations.items():
            events = [event for session in sessions for event in session]
            asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    finally:
        store.engine.dispose()


def tracker_rows(tracker_url: str) -> Dict[str, int]:
    with engine_for(tracker_url).connect() as connection:
        rows = connection.execute(text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all()
    return {sender: count for sender, count in rows}


def _report(
    session,
    code: str,
    status: str,
    updated_days_ago: float,
    conversation: Optional[str],
    kind: str = "individual",
    **fields,
) -> Report:
    recruiter = Recruiter(display_name="Pak Darto", normalised_name="pak darto", kind=kind, phone_e164="+6281234567890")
    report = Report(
        case_code=code,
        pin_hash="argon2-hash",
        status=status,
        risk_level="high",
        flags=["unlicensed_agency"],
        channel="telegram",
        conversation_id=conversation,
        language="id",
        what_happened="Pak Darto minta 40 juta, paspor saya ditahan di Garut",
        recruiter_name="Pak Darto",
        recruiter_kind=kind,
        recruiter_phone="+6281234567890",
        location="Kab. Garut",
        money_text="40 juta ke rekening pribadi",
        money_idr=40_000_000,
        documents_held="paspor",
        reporter_safe=True,
        reporter_location="indonesia",
        consent_to_contact=True,
        anonymous=False,
        reporter_contact="+6281311112222",
        consent_text="Bolehkah petugas menghubungimu?",
        consent_recorded_at=days_ago(500),
        created_at=days_ago(500),
        updated_at=days_ago(updated_days_ago),
        recruiter=recruiter,
        **fields,
    )
    session.add(report)
    session.flush()
    return report


def seed(settings: Settings) -> Dict[str, int]:
    """The scene: reports in every state, conversations old and new, inbox rows and counters."""
    conversations = {
        "telegram:closed-old": [_session_events(days_ago(420), "halo, mau lapor")],
        "telegram:came-back": [_session_events(days_ago(420), "mau lapor"), _session_events(days_ago(1), "halo lagi")],
        "telegram:shared": [_session_events(days_ago(420), "lapor dua kali")],
        "telegram:open-case": [_session_events(days_ago(420), "laporanku gimana")],
        "telegram:closed-recently": [_session_events(days_ago(200), "lapor")],
        "telegram:stale": [_session_events(days_ago(100), "syarat magang apa")],
        "telegram:fresh": [_session_events(days_ago(10), "biaya ssw brp")],
    }
    save_conversations(settings.tracker_store_url, conversations)
    ids: Dict[str, int] = {}
    with transaction(settings.database_url) as session:
        old = _report(session, "AAAA-2222", "resolved", 400, "telegram:closed-old", decision_reason="sudah pulang")
        session.add(StaffMessage(report_id=old.id, author="reviewer1", body="Bu, kami sudah hubungi BP2MI Garut."))
        session.add(ReportEvent(report_id=old.id, kind="note", actor="reviewer1", detail={"note": "kakaknya telp"}))
        session.add(
            ReportEvent(
                report_id=old.id,
                kind="status_changed",
                actor="reviewer1",
                detail={"from": "in_review", "to": "resolved", "reason": "sudah pulang"},
            )
        )
        ids["old"] = old.id
        ids["came_back"] = _report(session, "BBBB-3333", "dismissed", 400, "telegram:came-back", kind="lpk").id
        ids["shared_closed"] = _report(session, "CCCC-4444", "resolved", 400, "telegram:shared").id
        ids["shared_open"] = _report(session, "DDDD-5555", "new", 2, "telegram:shared").id
        ids["open"] = _report(session, "EEEE-6666", "in_review", 400, "telegram:open-case").id
        ids["recent"] = _report(session, "FFFF-7777", "resolved", 100, "telegram:closed-recently").id
        ids["done_before"] = _report(session, "GGGG-8888", "resolved", 800, None, anonymised_at=days_ago(300)).id
        for status, age in (("done", 100), ("failed", 100), ("pending", 100), ("done", 10)):
            session.add(
                InboxMessage(
                    channel="telegram",
                    external_id=f"{status}-{age}",
                    sender_id="telegram:stale",
                    text=None if status == "done" else "halo",
                    status=status,
                    received_at=days_ago(age),
                )
            )
        session.add(SecurityCounter(key="pin:abc", window_start=days_ago(3), count=4))
        session.add(SecurityCounter(key="pin:abc", window_start=NOW - dt.timedelta(minutes=5), count=1))
    return ids


def test_a_run_deletes_and_anonymises_exactly_what_the_policy_says(stores: Settings) -> None:
    ids = seed(stores)
    before = tracker_rows(stores.tracker_store_url)
    dry = run_retention(stores, NOW, dry_run=True)
    # A dry run changes nothing and writes no audit entry.
    assert tracker_rows(stores.tracker_store_url) == before
    with transaction(stores.database_url) as session:
        assert session.execute(select(func.count(AuditEntry.id))).scalar_one() == 0
        assert session.get(Report, ids["old"]).anonymised_at is None

    result = run_retention(stores, NOW)
    assert dataclasses.replace(dry, dry_run=False) == result
    assert (result.reports_anonymised, result.report_conversations_deleted, result.staff_messages_cleared) == (3, 2, 1)
    assert result.conversations_deleted == 1  # telegram:stale
    # The 100-day-old pending row goes too: it can no longer be answered, and its text must not stay.
    assert (result.inbox_rows_deleted, result.counter_windows_deleted) == (3, 1)

    rows = tracker_rows(stores.tracker_store_url)
    # Gone: the closed report's inactive conversation and the stale unlinked one.
    assert "telegram:closed-old" not in rows and "telegram:stale" not in rows
    # The reporter who came back keeps the session going on now (7 rows), nothing older.
    assert rows["telegram:came-back"] == 7
    assert result.tracker_events_deleted == 7 + 7 + 7
    # Kept: linked to an open report, to a report closed recently, to another report; and fresh.
    for sender in ("telegram:shared", "telegram:open-case", "telegram:closed-recently", "telegram:fresh"):
        assert rows[sender] == before[sender], sender

    with transaction(stores.database_url) as session:
        old = session.get(Report, ids["old"])
        assert old.what_happened == REMOVED_TEXT and old.conversation_id is None
        assert (
            old.reporter_contact,
            old.reporter_location,
            old.recruiter_phone,
            old.recruiter_name,
            old.money_text,
            old.documents_held,
            old.consent_text,
            old.decision_reason,
        ) == (None,) * 8
        assert (old.risk_level, old.flags, old.status, old.channel, old.language, old.money_idr) == (
            "high",
            ["unlicensed_agency"],
            "resolved",
            "telegram",
            "id",
            40_000_000,
        )
        assert old.recruiter.phone_e164 == "+6281234567890"  # the link to the recruiter stays
        assert old.updated_at == days_ago(400) and old.anonymised_at == NOW
        assert [m.body for m in old.messages] == [REMOVED_TEXT]
        kinds = {e.kind: e for e in old.events}
        assert kinds["note"].detail == {"note": REMOVED_TEXT}
        assert kinds["status_changed"].detail == {"from": "in_review", "to": "resolved", "reason": REMOVED_TEXT}
        assert (kinds["anonymised"].actor, kinds["anonymised"].detail["conversation"]) == ("retention", "deleted")
        assert session.get(Report, ids["came_back"]).recruiter_name == "Pak Darto"  # an LPK: kept
        shared = session.get(Report, ids["shared_closed"])
        assert shared.anonymised_at == NOW
        assert shared.events[-1].detail["conversation"] == "kept for another report"
        for name in ("shared_open", "open", "recent"):
            report = session.get(Report, ids[name])
            assert report.anonymised_at is None and report.reporter_contact == "+6281311112222", name
        assert [
            (m.status, m.received_at) for m in session.execute(select(InboxMessage).order_by(InboxMessage.id)).scalars()
        ] == [("done", days_ago(10))]
        assert session.execute(select(SecurityCounter.window_start)).scalars().all() == [NOW - dt.timedelta(minutes=5)]
        [entry] = session.execute(select(AuditEntry)).scalars().all()
        assert (entry.action, entry.actor) == ("retention_run", "retention")
        assert entry.detail == result.detail() and entry.detail["reports_anonymised"] == 3
        assert entry.detail["conversation_days"] == 90 and entry.detail["closed_report_days"] == 365
        assert "telegram:" not in json.dumps(entry.detail)

    # A second run has nothing left to do.
    again = run_retention(stores, NOW)
    assert (
        again.reports_anonymised,
        again.conversations_deleted,
        again.tracker_events_deleted,
        again.inbox_rows_deleted,
        again.counter_windows_deleted,
    ) == (0, 0, 0, 0, 0)


def test_a_report_reopened_after_the_selection_is_left_alone(stores: Settings) -> None:
    ids = seed(stores)
    limits = RetentionLimits(now=NOW, conversation_days=90, closed_report_days=365)
    with transaction(stores.database_url) as session:
        session.get(Report, ids["old"]).status = "in_review"
    with transaction(stores.database_url) as session:
        assert retention._anonymise(session, [(ids["old"], "telegram:closed-old", "individual")], limits, False) == []
    with transaction(stores.database_url) as session:
        assert session.get(Report, ids["old"]).anonymised_at is None


def test_a_user_who_wrote_since_the_selection_keeps_the_conversation(stores: Settings) -> None:
    save_conversations(
        stores.tracker_store_url,
        {"telegram:back": [_session_events(days_ago(200), "halo"), _session_events(days_ago(0.1), "halo lagi")]},
    )
    cutoff = epoch_seconds(days_ago(90))
    with engine_for(stores.tracker_store_url).begin() as connection:
        assert retention._delete_inactive(connection, ["telegram:back"], cutoff, dry_run=False) == (0, 0)
    assert tracker_rows(stores.tracker_store_url) == {"telegram:back": 14}


def test_no_tracker_store_yet_means_nothing_to_do_there(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    missing = tmp_path / "never-used-tracker.db"
    settings = dataclasses.replace(get_settings(), database_url=url, tracker_store_url=f"sqlite:///{missing}")
    result = run_retention(settings, NOW)
    assert result.conversations_deleted == 0 and not missing.exists()


def test_a_failed_run_is_recorded_with_the_error_class_and_raised(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    settings = dataclasses.replace(get_settings(), database_url=url, tracker_store_url=f"sqlite:///{tmp_path / 't.db'}")

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(retention, "forget_before", broken)
    with pytest.raises(OSError, match="^disk full$"):
        run_retention(settings, NOW)
    with transaction(url) as session:
        [entry] = session.execute(select(AuditEntry)).scalars().all()
    assert entry.detail["error"] == "OSError" and entry.action == "retention_run"


# --- the command ------------------------------------------------------------------------------------
def _env(monkeypatch, database_url: str, tracker_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)


def test_the_command_prints_the_counts(tmp_path, monkeypatch, capsys) -> None:
    from bot.manage import main

    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    with transaction(url) as session:
        session.add(
            InboxMessage(
                channel="telegram",
                external_id="x",
                sender_id="telegram:1",
                status="done",
                received_at=dt.datetime(2000, 1, 1),
            )
        )
    _env(monkeypatch, url, f"sqlite:///{tmp_path / 'tracker.db'}")
    assert main(["retention", "--dry-run"]) == 0
    assert "would delete" in capsys.readouterr().out
    assert main(["retention"]) == 0
    out = capsys.readouterr().out
    assert "1 inbox row(s)" in out and "dry run" not in out
    with transaction(url) as session:
        assert session.execute(select(func.count(InboxMessage.id))).scalar_one() == 0


def test_the_command_refuses_bad_limits_and_reports_failures_politely(tmp_path, monkeypatch, capsys) -> None:
    from bot.manage import main

    _env(monkeypatch, f"sqlite:///{tmp_path / 'not-migrated.db'}", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.setenv("RETENTION_CLOSED_REPORT_DAYS", "0")
    assert main(["retention"]) == 2
    assert "RETENTION_CLOSED_REPORT_DAYS must be at least 1" in capsys.readouterr().err
    monkeypatch.delenv("RETENTION_CLOSED_REPORT_DAYS")
    assert main(["retention"]) == 1
    err = capsys.readouterr().err
    assert "retention failed: OperationalError" in err and "Traceback" not in err


def test_ended_staff_sessions_are_purged_after_a_month(stores: Settings) -> None:
    from bot.storage.models import StaffSession, StaffUser

    with transaction(stores.database_url) as session:
        user = StaffUser(username="reviewer-r", password_hash="x", role="reviewer")
        session.add(user)
        session.flush()
        session.add(
            StaffSession(token_hash="a" * 64, user_id=user.id, created_at=days_ago(40), revoked_at=days_ago(40))
        )
        session.add(StaffSession(token_hash="b" * 64, user_id=user.id, created_at=days_ago(1)))
    assert run_retention(stores, NOW).staff_sessions_deleted == 1
    with transaction(stores.database_url) as session:
        assert [row.token_hash for row in session.query(StaffSession)] == ["b" * 64]
