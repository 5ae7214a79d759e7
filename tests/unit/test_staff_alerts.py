"""Staff alerts for urgent and high reports: the summary text, the outbox in real databases (SQLite
file and PostgreSQL on localhost: the ``database_url`` fixture of tests/unit/conftest.py), and the
notifier against python-telegram-bot and the local Bot API stand-in (tests/standins/telegram_api.py).
Batched alerts under a flood: tests/unit/test_alert_batching.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.alerts.notifier import NotifierConfig, PassResult, deliver_due_alerts
from bot.alerts.outbox import (
    EXPIRED,
    MAX_ATTEMPTS,
    MAX_RETRY_DELAY,
    due_alerts,
    due_with_reports,
    expire_stale,
    mark_retry,
    mark_sent,
    mark_sent_many,
    needs_staff_alert,
    next_attempt_time,
    retry_delay,
)
from bot.alerts.summary import MAX_ALERT_CHARS, AlertFacts, alert_text
from bot.recruitment.risk import FLAG_CODES
from bot.reports.draft import ReportDraft
from bot.reports.texts import ReportTexts, load_report_texts
from bot.serve import child_environment, services
from bot.settings import Settings, get_settings
from bot.storage.db import transaction
from bot.storage.models import Recruiter, Report, StaffAlert, utcnow
from bot.storage.reports import save_report
from tests.databases import PIN_KEY
from tests.servers import notifier_process, wait_until
from tests.standins.telegram_api import TelegramApiStandIn

STAFF_CHAT_ID = "-1009876543210"
CONSOLE = "https://console.example.org"

# Distinctive values that must never appear in an alert.
CONTACT = "+6289990001111"
RECRUITER_PHONE = "+6281112223334"
STORY = "XYZZY-cerita-rahasia dijanjikan kerja pabrik"
CONVERSATION_ID = "conv-SECRET-777"
RECRUITER_NAME = "Pak Quuxwell"


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts() -> ReportTexts:
    return load_report_texts(str(get_settings().content_dir))


def draft(**changes: Any) -> ReportDraft:
    values = dict(
        what_happened=STORY,
        recruiter_name=RECRUITER_NAME,
        recruiter_kind="individual",
        recruiter_phone=RECRUITER_PHONE,
        location="Kab. Garut",
        reporter_safe=False,
        reporter_location="japan",
        consent_to_contact=True,
        anonymous=False,
        reporter_contact=CONTACT,
    )
    values.update(changes)
    return ReportDraft(**values)


def new_report(
    url: str, level: str = "urgent", flags: tuple = ("upfront_fee", "trafficking_signs"), **changes: Any
) -> int:
    with transaction(url) as session:
        report, _ = save_report(
            session, draft(**changes), level, list(flags), "telegram", CONVERSATION_ID, "id", PIN_KEY
        )
        return report.id


def alert_for(url: str, report_id: int) -> StaffAlert:
    with transaction(url) as session:
        return session.execute(select(StaffAlert).where(StaffAlert.report_id == report_id)).scalar_one()


def facts(**changes: Any) -> AlertFacts:
    values = dict(
        report_id=42,
        case_code="K7QX-4M2P",
        risk_level="urgent",
        flags=("upfront_fee", "trafficking_signs"),
        location="Kab. Garut",
    )
    values.update(changes)
    return AlertFacts(**values)


# --- the summary (pure) ------------------------------------------------------------------------


def test_alert_names_code_level_flags_area_and_console_link(texts: ReportTexts) -> None:
    message = alert_text(facts(), texts, CONSOLE)
    assert message.startswith("🚨")
    assert "Laporan baru" in message and "K7QX-4M2P" in message
    assert "urgent" in message and "darurat" in message
    for code in ("upfront_fee", "trafficking_signs"):
        assert texts.flags[code]["title"]["id"] in message
    assert "Kab. Garut" in message
    assert f"{CONSOLE}/reports/42" in message


def test_high_alert_has_its_own_marker_and_a_trailing_slash_is_harmless(texts: ReportTexts) -> None:
    message = alert_text(facts(risk_level="high"), texts, CONSOLE + "/")
    assert message.startswith("🔴") and "tinggi (high)" in message
    assert f"{CONSOLE}/reports/42" in message and "//reports" not in message


def test_alert_never_carries_contact_story_phone_or_conversation(texts: ReportTexts) -> None:
    report = Report(
        id=7,
        case_code="ABCD-2345",
        risk_level="urgent",
        flags=["document_retention"],
        what_happened=STORY,
        recruiter_name=RECRUITER_NAME,
        recruiter_phone=RECRUITER_PHONE,
        location="Kota Bandung",
        reporter_contact=CONTACT,
        conversation_id=CONVERSATION_ID,
        consent_to_contact=True,
        anonymous=False,
        reporter_safe=False,
        reporter_location="japan",
        money_text="DP 45jt ke rekening pribadi",
        documents_held="paspor",
    )
    report.recruiter = Recruiter(display_name=RECRUITER_NAME, phone_e164=RECRUITER_PHONE, area="Kab. Garut")
    message = alert_text(AlertFacts.from_report(report), texts, CONSOLE)
    for secret in (CONTACT, RECRUITER_PHONE, STORY, "XYZZY", CONVERSATION_ID, RECRUITER_NAME, "45jt", "paspor"):
        assert secret not in message
    # What it does say: the areas, the reporter's safety and where they are.
    assert "Kota Bandung" in message and "perekrut tercatat di" in message and "Kab. Garut" in message
    assert "⚠️ pelapor merasa tidak aman" in message
    assert "luar negeri (Jepang)" in message


def test_report_text_is_escaped_and_kept_on_one_line(texts: ReportTexts) -> None:
    location = '<script>alert("x")</script> & <a href="https://evil.example">klik</a>\n✅ sudah ditangani'
    message = alert_text(facts(location=location), texts, CONSOLE)
    assert "<script>" not in message and "<a href" not in message
    assert "&lt;script&gt;" in message and "&amp;" in message
    # The value sits in <code> (no link or mention is made of it) and cannot forge a line of its own.
    area = next(line for line in message.splitlines() if line.startswith("Wilayah:"))
    assert area.startswith("Wilayah: <code>&lt;script&gt;") and area.endswith("sudah ditangani</code>")
    assert not any(line.startswith("✅") for line in message.splitlines())


def test_unknown_area_and_safe_reporter_in_indonesia_are_left_out(texts: ReportTexts) -> None:
    message = alert_text(facts(location=None, reporter_safe=True, reporter_location="indonesia"), texts, CONSOLE)
    assert "Wilayah" not in message and "tidak aman" not in message and "luar negeri" not in message
    same = alert_text(facts(location="Kab. Garut", recruiter_area="kab.  garut"), texts, CONSOLE)
    assert "tercatat" not in same


def test_alert_stays_short_with_every_flag_and_long_escaped_areas(texts: ReportTexts) -> None:
    long_area = "&<>" * 40  # 120 characters typed, 480 once escaped
    message = alert_text(
        facts(
            flags=tuple(FLAG_CODES),
            location=long_area,
            recruiter_area=long_area + "x",
            reporter_safe=False,
            reporter_location="elsewhere",
        ),
        texts,
        CONSOLE,
    )
    assert len(message) <= MAX_ALERT_CHARS
    assert f"{CONSOLE}/reports/42" in message and "K7QX-4M2P" in message
    assert "&amp;&lt;&gt;" in message and "…" in message
    assert texts.flags[FLAG_CODES[0]]["title"]["id"] in message


def test_only_urgent_and_high_reports_need_an_alert() -> None:
    assert needs_staff_alert("urgent") and needs_staff_alert("high")
    assert not needs_staff_alert("medium") and not needs_staff_alert("low") and not needs_staff_alert("")


def test_back_off_doubles_from_ten_seconds_up_to_half_an_hour() -> None:
    assert retry_delay(1) == dt.timedelta(seconds=10)
    assert retry_delay(2) == dt.timedelta(seconds=20)
    assert retry_delay(8) == dt.timedelta(seconds=1280)
    assert retry_delay(9) == MAX_RETRY_DELAY == retry_delay(10_000)
    now = dt.datetime(2026, 11, 27, 12, 0)
    assert next_attempt_time(now, 1) == now + dt.timedelta(seconds=10)
    # Telegram's retry_after wins when it asks for longer.
    assert next_attempt_time(now, 1, retry_after=600) == now + dt.timedelta(seconds=600)
    assert next_attempt_time(now, 3, retry_after=1) == now + dt.timedelta(seconds=40)


# --- the outbox in real databases ----------------------------------------------------------------


def test_save_report_adds_an_alert_only_for_urgent_and_high(database_url: str) -> None:
    ids = {level: new_report(database_url, level, flags=()) for level in ("urgent", "high", "medium", "low")}
    with transaction(database_url) as session:
        alerts = session.execute(select(StaffAlert)).scalars().all()
    assert sorted(a.report_id for a in alerts) == sorted([ids["urgent"], ids["high"]])
    assert all(a.status == "pending" and a.attempts == 0 and a.sent_at is None for a in alerts)


def test_a_report_rolled_back_leaves_no_alert(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="^the turn failed after saving$"):
        with transaction(database_url) as session:
            save_report(session, draft(), "urgent", [], "rest", "u", "id", PIN_KEY)
            raise RuntimeError("the turn failed after saving")
    with transaction(database_url) as session:
        assert session.execute(select(StaffAlert)).scalars().all() == []


def test_due_alerts_are_pending_ones_whose_time_has_come_oldest_first(database_url: str) -> None:
    first, second, third, sent = (new_report(database_url) for _ in range(4))
    now = utcnow() + dt.timedelta(seconds=1)
    with transaction(database_url) as session:
        alerts = {a.report_id: a for a in session.execute(select(StaffAlert)).scalars()}
        alerts[first].next_attempt_at = now - dt.timedelta(minutes=5)
        alerts[third].next_attempt_at = now + dt.timedelta(minutes=5)
        assert mark_sent(session, alerts[sent].id, now)
    with transaction(database_url) as session:
        assert [a.report_id for a in due_alerts(session, now, limit=10)] == [first, second]
        assert [a.report_id for a in due_alerts(session, now, limit=1)] == [first]


def test_due_with_reports_puts_urgent_first_then_the_longest_waiting(database_url: str) -> None:
    old_high, urgent, older_urgent, later = (
        new_report(database_url, level) for level in ("high", "urgent", "urgent", "urgent")
    )
    now = utcnow() + dt.timedelta(seconds=1)
    with transaction(database_url) as session:
        alerts = {a.report_id: a for a in session.execute(select(StaffAlert)).scalars()}
        alerts[old_high].next_attempt_at = now - dt.timedelta(hours=1)
        alerts[older_urgent].next_attempt_at = now - dt.timedelta(minutes=5)
        alerts[later].next_attempt_at = now + dt.timedelta(minutes=5)
    with transaction(database_url) as session:
        rows = due_with_reports(session, now, limit=10)
        assert [report.id for _, report in rows] == [older_urgent, urgent, old_high]
        assert all(alert.report_id == report.id for alert, report in rows)
        assert [report.id for _, report in due_with_reports(session, now, limit=1)] == [older_urgent]


def test_mark_sent_many_marks_the_pending_ones_in_one_go(database_url: str) -> None:
    first, second, done = (new_report(database_url) for _ in range(3))
    ids = {r: alert_for(database_url, r).id for r in (first, second, done)}
    now = utcnow()
    with transaction(database_url) as session:
        mark_sent(session, ids[done], now - dt.timedelta(hours=1))
    with transaction(database_url) as session:
        assert mark_sent_many(session, list(ids.values()), now) == sorted([ids[first], ids[second]])
        assert mark_sent_many(session, [], now) == []
    assert alert_for(database_url, first).sent_at == now == alert_for(database_url, second).sent_at
    assert alert_for(database_url, done).sent_at == now - dt.timedelta(hours=1)


def test_mark_sent_records_the_time_once(database_url: str) -> None:
    report_id = new_report(database_url)
    alert_id = alert_for(database_url, report_id).id
    now = utcnow()
    with transaction(database_url) as session:
        assert mark_sent(session, alert_id, now) is True
    with transaction(database_url) as session:
        assert mark_sent(session, alert_id, now + dt.timedelta(hours=1)) is False
        assert mark_retry(session, alert_id, "telegram 429", now) is None
    stored = alert_for(database_url, report_id)
    assert stored.status == "sent" and stored.sent_at == now and stored.attempts == 0


def test_failures_back_off_then_give_up(database_url: str) -> None:
    report_id = new_report(database_url)
    alert_id = alert_for(database_url, report_id).id
    now = dt.datetime(2026, 11, 27, 12, 0)
    with transaction(database_url) as session:
        alert = mark_retry(session, alert_id, "telegram network error", now)
        assert alert is not None and alert.status == "pending" and alert.attempts == 1
    stored = alert_for(database_url, report_id)
    assert stored.next_attempt_at == now + dt.timedelta(seconds=10) and stored.last_error == "telegram network error"
    with transaction(database_url) as session:
        assert due_alerts(session, now + dt.timedelta(seconds=9), 10) == []
        assert [a.id for a in due_alerts(session, now + dt.timedelta(seconds=10), 10)] == [alert_id]
    for _ in range(MAX_ATTEMPTS - 2):
        with transaction(database_url) as session:
            assert mark_retry(session, alert_id, "telegram network error", now).status == "pending"
    with transaction(database_url) as session:
        assert mark_retry(session, alert_id, "telegram bad request", now).status == "failed"
    stored = alert_for(database_url, report_id)
    assert stored.status == "failed" and stored.attempts == MAX_ATTEMPTS and stored.last_error == "telegram bad request"
    with transaction(database_url) as session:
        assert due_alerts(session, now + dt.timedelta(days=1), 10) == []


def test_pending_alerts_older_than_a_week_expire_instead_of_being_sent(database_url: str) -> None:
    old, recent, old_but_sent = (new_report(database_url) for _ in range(3))
    now = utcnow()
    with transaction(database_url) as session:
        alerts = {a.report_id: a for a in session.execute(select(StaffAlert)).scalars()}
        alerts[old].created_at = now - dt.timedelta(days=8)
        alerts[old_but_sent].created_at = now - dt.timedelta(days=8)
        mark_sent(session, alerts[old_but_sent].id, now - dt.timedelta(days=8))
    with transaction(database_url) as session:
        assert expire_stale(session, now) == 1
    with transaction(database_url) as session:
        assert [a.report_id for a in due_alerts(session, now + dt.timedelta(seconds=1), 10)] == [recent]
    assert (alert_for(database_url, old).status, alert_for(database_url, old).last_error) == ("failed", EXPIRED)
    assert alert_for(database_url, old_but_sent).status == "sent"


# --- the notifier against python-telegram-bot and the Bot API stand-in ---------------------------


def run_pass(
    telegram: TelegramApiStandIn, url: str, texts: ReportTexts, max_attempts: int = 3, base_seconds: float = 0.01
) -> PassResult:
    config = NotifierConfig(
        chat_id=STAFF_CHAT_ID,
        console_base_url=CONSOLE,
        texts=texts,
        max_attempts=max_attempts,
        base_seconds=base_seconds,
        database_url=url,
    )

    async def one_pass() -> PassResult:
        async with Bot(telegram.token, base_url=telegram.base_url) as bot:
            return await deliver_due_alerts(bot, config)

    return asyncio.run(one_pass())


def test_an_alert_reaches_the_staff_chat_once(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    report_id = new_report(sqlite_url)
    with transaction(sqlite_url) as session:
        code = session.get(Report, report_id).case_code
    assert run_pass(telegram, sqlite_url, texts) == PassResult(sent=1)
    [call] = telegram.calls_to("sendMessage", chat_id=STAFF_CHAT_ID)
    assert code in call.params["text"] and f"{CONSOLE}/reports/{report_id}" in call.params["text"]
    assert call.params["parse_mode"] == "HTML" and call.params["link_preview_options"]["is_disabled"] is True
    for secret in (CONTACT, RECRUITER_PHONE, "XYZZY", CONVERSATION_ID):
        assert secret not in str(call.params)
    stored = alert_for(sqlite_url, report_id)
    assert stored.status == "sent" and stored.sent_at is not None
    # A second pass finds nothing due: the alert is not sent again.
    assert run_pass(telegram, sqlite_url, texts) == PassResult()
    assert len(telegram.calls_to("sendMessage")) == 1


def test_flood_control_is_waited_out_then_the_alert_is_sent(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    report_id = new_report(sqlite_url)
    telegram.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    assert run_pass(telegram, sqlite_url, texts) == PassResult(sent=1)
    assert time.monotonic() - started >= 1.0
    assert len(telegram.calls_to("sendMessage", chat_id=STAFF_CHAT_ID)) == 2
    assert alert_for(sqlite_url, report_id).status == "sent"


def test_a_long_flood_wait_is_left_to_the_outbox(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    report_id = new_report(sqlite_url)
    telegram.fail_next("sendMessage", 429, retry_after=600)
    before = utcnow()
    assert run_pass(telegram, sqlite_url, texts) == PassResult(retrying=1)
    stored = alert_for(sqlite_url, report_id)
    assert stored.status == "pending" and stored.attempts == 1 and stored.last_error.startswith("telegram 429")
    assert stored.next_attempt_at >= before + dt.timedelta(seconds=600)


def test_a_server_error_is_retried_later_and_ends_the_pass(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    first, second = new_report(sqlite_url), new_report(sqlite_url)
    telegram.fail_next("sendMessage", 500, times=2)
    before = utcnow()
    assert run_pass(telegram, sqlite_url, texts, max_attempts=2) == PassResult(retrying=1)
    # Two on-the-spot attempts for the first alert; the second alert waits for the next poll.
    assert len(telegram.calls_to("sendMessage")) == 2
    stored = alert_for(sqlite_url, first)
    assert stored.status == "pending" and stored.attempts == 1 and stored.last_error == "telegram network error"
    assert stored.next_attempt_at > before
    assert alert_for(sqlite_url, second).attempts == 0
    # Telegram is back: the next pass sends the second; the first waits out its back-off.
    assert run_pass(telegram, sqlite_url, texts) == PassResult(sent=1)
    assert alert_for(sqlite_url, second).status == "sent" and alert_for(sqlite_url, first).status == "pending"


def test_a_bad_request_is_not_repeated_now_and_gives_up_after_the_last_attempt(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    report_id = new_report(sqlite_url)
    telegram.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    assert run_pass(telegram, sqlite_url, texts) == PassResult(retrying=1)
    assert len(telegram.calls_to("sendMessage")) == 1  # trying again at once cannot help
    stored = alert_for(sqlite_url, report_id)
    assert stored.status == "pending" and stored.attempts == 1 and stored.last_error == "telegram bad request"
    # On its last allowed attempt, a bad request marks the alert failed (the console still has it).
    with transaction(sqlite_url) as session:
        alert = session.get(StaffAlert, stored.id)
        alert.attempts = MAX_ATTEMPTS - 1
        alert.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    telegram.fail_next("sendMessage", 400)
    assert run_pass(telegram, sqlite_url, texts) == PassResult(failed=1)
    assert alert_for(sqlite_url, report_id).status == "failed"
    assert run_pass(telegram, sqlite_url, texts) == PassResult()
    assert len(telegram.calls_to("sendMessage")) == 2


def test_an_expired_alert_is_not_sent(telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts) -> None:
    report_id = new_report(sqlite_url)
    with transaction(sqlite_url) as session:
        session.execute(select(StaffAlert)).scalar_one().created_at = utcnow() - dt.timedelta(days=8)
    assert run_pass(telegram, sqlite_url, texts) == PassResult(expired=1)
    assert telegram.calls_to("sendMessage") == []
    assert alert_for(sqlite_url, report_id).last_error == EXPIRED


# --- the notifier process and its place in bot/serve.py ------------------------------------------


def notifier_environment(telegram: TelegramApiStandIn, url: str, **changes: str) -> dict:
    env = child_environment()
    env.update(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        STAFF_TELEGRAM_CHAT_ID=STAFF_CHAT_ID,
        CONSOLE_BASE_URL=CONSOLE,
        ALERT_POLL_SECONDS="0.5",
        LOG_LEVEL="INFO",
    )
    env.update(changes)
    return env


def test_the_notifier_process_sends_alerts_and_stops_cleanly_on_sigterm(
    telegram: TelegramApiStandIn, sqlite_url: str, tmp_path
) -> None:
    first = new_report(sqlite_url)
    log_path = tmp_path / "notifier.log"
    with notifier_process(notifier_environment(telegram, sqlite_url), log_path) as process:
        telegram.wait_for("sendMessage", 1, chat_id=STAFF_CHAT_ID, timeout=60)
        # A report saved while it runs is picked up at a later poll.
        second = new_report(sqlite_url, level="high")
        telegram.wait_for("sendMessage", 2, chat_id=STAFF_CHAT_ID, timeout=30)
        wait_until(lambda: alert_for(sqlite_url, second).status == "sent", timeout=10)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert alert_for(sqlite_url, first).status == "sent" and alert_for(sqlite_url, second).status == "sent"
    output = log_path.read_text()
    assert "staff alerts: stopped" in output
    for secret in (telegram.token, CONTACT, RECRUITER_PHONE, "XYZZY", STAFF_CHAT_ID):
        assert secret not in output


def test_the_notifier_exits_at_once_when_nothing_is_configured(telegram: TelegramApiStandIn, sqlite_url: str) -> None:
    # With a chat platform but no staff chat it keeps running: it also tells reporters about
    # staff messages (tests/unit/test_reporter_notices.py).
    env = notifier_environment(telegram, sqlite_url, STAFF_TELEGRAM_CHAT_ID="")
    for name in ("STAFF_TELEGRAM_CHAT_ID", "TELEGRAM_BOT_TOKEN", "WHATSAPP_ACCESS_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.alerts.notifier"],
        cwd=get_settings().project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "staff alerts are off" in done.stderr
    assert telegram.calls == []


def test_serve_starts_the_notifier_only_when_it_has_something_to_send(monkeypatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "STAFF_TELEGRAM_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert "alerts" not in [s.name for s in services(Settings())]
    enabled = services(Settings(telegram_bot_token="1:x", staff_telegram_chat_id=STAFF_CHAT_ID))
    [alerts] = [s for s in enabled if s.name == "alerts"]
    assert list(alerts.command)[1:] == ["-m", "bot.alerts.notifier"]
    assert os.path.basename(alerts.command[0]).startswith("python")
