"""Reporter notices ("staff wrote to you: check your report") through Telegram and WhatsApp: the
decision, the outbox columns in real databases (SQLite file and PostgreSQL on localhost: the
``database_url`` fixture), and delivery against the local Bot API and Graph API stand-ins."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from typing import Iterator, List, Optional, Tuple

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, select, text

from bot.alerts.reporter_notices import (
    CHECK_STATUS_PAYLOAD,
    EXPIRED,
    MAX_ATTEMPTS,
    RECHECK_DELAY,
    NoticePassResult,
    deliver_due_notices,
    due_notices,
    mark_notice_retry,
    needs_reporter_notice,
)
from bot.manage import migrate
from bot.serve import child_environment, services
from bot.settings import Settings, get_settings
from bot.storage.db import transaction
from bot.storage.inbox import accept_message
from bot.storage.models import InboxMessage, Report, StaffMessage, utcnow
from bot.storage.reports import Requester, StatusLimits, add_staff_message, check_status, save_report
from tests.databases import PIN_KEY
from tests.servers import notifier_process, wait_until
from tests.standins.graph_api import GraphApiStandIn
from tests.standins.telegram_api import TelegramApiStandIn
from tests.unit.test_report_storage import draft

TELEGRAM_CHAT = "55501234"
WA_ID = "6281298765432"
# What staff wrote: it must never leave the database except after the PIN.
STAFF_BODY = "XYZZY-rahasia: Pak Darto sudah dilaporkan ke polisi, jangan bayar lagi."
WHATSAPP_SECRETS = dict(
    WHATSAPP_ACCESS_TOKEN="EAAG-notice-test-token",
    WHATSAPP_APP_SECRET="app-secret",
    WHATSAPP_VERIFY_TOKEN="verify-token",
    WHATSAPP_PHONE_NUMBER_ID="109876543210",
)
ALL_CHANNEL_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_BASE_URL",
    "STAFF_TELEGRAM_CHAT_ID",
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_TEMPLATE_NAME",
    "WHATSAPP_TEMPLATE_LANGUAGE",
    *WHATSAPP_SECRETS,
)


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch, database_url: str):
    """No chat platform configured, this test's database, quick retries."""
    for name in ALL_CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SEND_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("SEND_RETRY_BASE_MS", "10")
    return monkeypatch


@pytest.fixture
def telegram(env) -> Iterator[TelegramApiStandIn]:
    with TelegramApiStandIn() as stand_in:
        env.setenv("TELEGRAM_BOT_TOKEN", stand_in.token)
        env.setenv("TELEGRAM_WEBHOOK_SECRET", "webhook-secret")
        env.setenv("TELEGRAM_API_BASE_URL", stand_in.base_url)
        yield stand_in


@pytest.fixture
def graph(env) -> Iterator[GraphApiStandIn]:
    with GraphApiStandIn(access_token=WHATSAPP_SECRETS["WHATSAPP_ACCESS_TOKEN"]) as stand_in:
        for name, value in WHATSAPP_SECRETS.items():
            env.setenv(name, value)
        env.setenv("WHATSAPP_API_BASE_URL", stand_in.base_url)
        yield stand_in


def new_report(url: str, channel: str, conversation_id: Optional[str], language: str = "id") -> Tuple[int, str, str]:
    """A report and a staff message to its reporter; returns (report id, case code, PIN)."""
    with transaction(url) as session:
        report, pin = save_report(session, draft(), "medium", [], channel, conversation_id, language, PIN_KEY)
        add_staff_message(session, report, "reviewer1", STAFF_BODY)
        return report.id, report.case_code, pin


def messages_of(url: str, report_id: int) -> List[StaffMessage]:
    with transaction(url) as session:
        return list(
            session.execute(
                select(StaffMessage).where(StaffMessage.report_id == report_id).order_by(StaffMessage.id)
            ).scalars()
        )


def only_message(url: str, report_id: int) -> StaffMessage:
    [message] = messages_of(url, report_id)
    return message


def run_pass(clock=utcnow) -> NoticePassResult:
    return asyncio.run(deliver_due_notices(get_settings(), clock=clock))


def send_calls(telegram: TelegramApiStandIn) -> list:
    return telegram.calls_to("sendMessage")


def reporter_wrote(url: str, sender: str, at: dt.datetime) -> None:
    """An inbox row, as if the reporter had written to the bot at ``at``."""
    with transaction(url) as session:
        inbox_id = accept_message(session, "whatsapp", f"wamid.{at.timestamp()}", sender, "halo")
        session.get(InboxMessage, inbox_id).received_at = at


# --- the decision (pure) -------------------------------------------------------------------------


def test_only_telegram_and_whatsapp_chats_with_a_conversation_get_a_notice() -> None:
    assert needs_reporter_notice("telegram", f"telegram:{TELEGRAM_CHAT}")
    assert needs_reporter_notice("whatsapp", f"whatsapp:{WA_ID}")
    assert not needs_reporter_notice("rest", "some-rest-sender")
    assert not needs_reporter_notice("telegram", None)
    assert not needs_reporter_notice("whatsapp", "  ")
    assert not needs_reporter_notice(None, f"telegram:{TELEGRAM_CHAT}")
    assert not needs_reporter_notice("socketio", "abc")


def test_add_staff_message_sets_the_notice_in_the_same_transaction(env, database_url: str) -> None:
    telegram_id, _, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    rest_id, _, _ = new_report(database_url, "rest", "rest-user-1")
    pending = only_message(database_url, telegram_id)
    assert pending.notice_status == "pending" and pending.notice_attempts == 0
    assert pending.notice_next_at is not None and pending.notice_sent_at is None
    none = only_message(database_url, rest_id)
    assert none.notice_status == "none" and none.notice_next_at is None


# --- Telegram -------------------------------------------------------------------------------------


def test_telegram_notice_has_the_case_code_and_button_and_never_the_message(
    telegram: TelegramApiStandIn, database_url: str
) -> None:
    report_id, code, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    assert run_pass() == NoticePassResult(sent=1)
    [call] = send_calls(telegram)
    assert str(call.params["chat_id"]) == TELEGRAM_CHAT
    assert code in call.params["text"] and "cek status laporan" in call.params["text"]
    assert "XYZZY" not in str(call.params) and "Darto" not in str(call.params)
    [[button]] = call.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": "Cek status laporan", "callback_data": CHECK_STATUS_PAYLOAD}
    stored = only_message(database_url, report_id)
    assert stored.notice_status == "sent" and stored.notice_sent_at is not None and stored.notice_error is None
    # Nothing is due any more: no second notice.
    assert run_pass() == NoticePassResult()
    assert len(send_calls(telegram)) == 1


def test_several_messages_share_one_notice_in_the_reporters_language(
    telegram: TelegramApiStandIn, database_url: str
) -> None:
    report_id, code, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}", language="en")
    with transaction(database_url) as session:
        add_staff_message(session, session.get(Report, report_id), "reviewer2", "A second message.")
    assert run_pass() == NoticePassResult(sent=1)
    [call] = send_calls(telegram)
    assert call.params["text"].startswith("There is news from staff") and code in call.params["text"]
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Check my report"
    assert [m.notice_status for m in messages_of(database_url, report_id)] == ["sent", "sent"]


def test_a_telegram_server_error_is_retried_later_with_one_more_attempt(
    telegram: TelegramApiStandIn, database_url: str
) -> None:
    report_id, _, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    telegram.fail_next("sendMessage", 500, times=2)  # SEND_MAX_ATTEMPTS=2: both attempts fail
    before = utcnow()
    assert run_pass() == NoticePassResult(retrying=1)
    assert len(send_calls(telegram)) == 2
    stored = only_message(database_url, report_id)
    assert stored.notice_status == "pending" and stored.notice_attempts == 1
    assert stored.notice_error.startswith("telegram") and stored.notice_next_at > before
    # Not due until the back-off has passed; then sent.
    assert run_pass() == NoticePassResult()
    later = stored.notice_next_at + dt.timedelta(seconds=1)
    assert run_pass(clock=lambda: later) == NoticePassResult(sent=1)
    assert only_message(database_url, report_id).notice_status == "sent"


def test_a_notice_gives_up_after_the_last_attempt(env, database_url: str) -> None:
    report_id, _, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    message_id = only_message(database_url, report_id).id
    now = utcnow()
    for _ in range(MAX_ATTEMPTS - 1):
        with transaction(database_url) as session:
            assert mark_notice_retry(session, [message_id], "telegram network error", now) == "pending"
    with transaction(database_url) as session:
        assert mark_notice_retry(session, [message_id], "telegram bad request", now) == "failed"
        assert due_notices(session, now + dt.timedelta(days=1)) == []
    assert only_message(database_url, report_id).notice_attempts == MAX_ATTEMPTS


def test_telegram_not_configured_leaves_the_notice_pending_without_spinning(graph, database_url: str) -> None:
    report_id, _, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    now = utcnow()
    assert run_pass(clock=lambda: now) == NoticePassResult(postponed=1)
    stored = only_message(database_url, report_id)
    assert stored.notice_status == "pending" and stored.notice_attempts == 0
    assert stored.notice_next_at == now + RECHECK_DELAY
    assert run_pass(clock=lambda: now + dt.timedelta(minutes=5)) == NoticePassResult()
    assert graph.messages_to() == []


# --- WhatsApp -------------------------------------------------------------------------------------


def test_whatsapp_within_24_hours_sends_a_normal_message_with_the_button(graph, database_url: str) -> None:
    sender = f"whatsapp:{WA_ID}"
    report_id, code, _ = new_report(database_url, "whatsapp", sender)
    reporter_wrote(database_url, sender, utcnow() - dt.timedelta(hours=2))
    assert run_pass() == NoticePassResult(sent=1)
    [call] = graph.messages_to(WA_ID)
    assert call.status == 200 and call.json["type"] == "interactive"
    assert code in call.text and "XYZZY" not in str(call.json)
    [button] = call.json["interactive"]["action"]["buttons"]
    assert button["reply"] == {"id": CHECK_STATUS_PAYLOAD, "title": "Cek status laporan"}
    assert only_message(database_url, report_id).notice_status == "sent"


def test_whatsapp_after_24_hours_uses_the_template(graph, env, database_url: str) -> None:
    env.setenv("WHATSAPP_TEMPLATE_NAME", "kabar_petugas")
    sender = f"whatsapp:{WA_ID}"
    report_id, code, _ = new_report(database_url, "whatsapp", sender)
    reporter_wrote(database_url, sender, utcnow() - dt.timedelta(hours=30))
    assert run_pass() == NoticePassResult(sent=1)
    [call] = graph.messages_to(WA_ID)
    assert call.status == 200 and call.json["type"] == "template"
    assert call.json["template"]["name"] == "kabar_petugas"
    assert code in call.text and "XYZZY" not in str(call.json)
    assert only_message(database_url, report_id).notice_status == "sent"


def test_whatsapp_after_24_hours_without_a_template_waits_for_the_reporter(graph, database_url: str) -> None:
    sender = f"whatsapp:{WA_ID}"
    report_id, _, _ = new_report(database_url, "whatsapp", sender)
    reporter_wrote(database_url, sender, utcnow() - dt.timedelta(hours=30))
    now = utcnow()
    assert run_pass(clock=lambda: now) == NoticePassResult(waiting=1)
    assert graph.messages_to() == []
    stored = only_message(database_url, report_id)
    assert stored.notice_status == "waiting" and stored.notice_attempts == 0
    assert stored.notice_next_at == now + RECHECK_DELAY
    # Not retried before the hour is up.
    assert run_pass(clock=lambda: now + dt.timedelta(minutes=10)) == NoticePassResult()
    # The reporter writes again: the window is open, the next hourly look sends the notice.
    reporter_wrote(database_url, sender, utcnow())
    assert run_pass(clock=lambda: now + RECHECK_DELAY) == NoticePassResult(sent=1)
    assert len(graph.messages_to(WA_ID, delivered_only=True)) == 1
    assert only_message(database_url, report_id).notice_status == "sent"


# --- no notice ------------------------------------------------------------------------------------


def test_a_rest_report_gets_no_notice_and_nothing_is_sent(telegram, graph, database_url: str) -> None:
    report_id, _, _ = new_report(database_url, "rest", "rest-user-1")
    assert run_pass() == NoticePassResult()
    assert send_calls(telegram) == [] and graph.messages_to() == []
    assert only_message(database_url, report_id).notice_status == "none"


def test_a_message_read_at_a_status_check_first_needs_no_notice(telegram, database_url: str) -> None:
    report_id, code, pin = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    with transaction(database_url) as session:
        assert (
            check_status(
                session,
                code,
                pin,
                Requester(f"telegram:{TELEGRAM_CHAT}"),
                utcnow(),
                StatusLimits(5, 15, 100, 100),
                PIN_KEY,
            ).outcome
            == "ok"
        )
    assert run_pass() == NoticePassResult(already_read=1)
    assert send_calls(telegram) == []
    assert only_message(database_url, report_id).notice_status == "none"


def test_a_notice_unsent_after_14_days_is_given_up(telegram, database_url: str) -> None:
    report_id, _, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    with transaction(database_url) as session:
        session.execute(select(StaffMessage)).scalar_one().created_at = utcnow() - dt.timedelta(days=15)
    assert run_pass() == NoticePassResult(expired=1)
    assert send_calls(telegram) == []
    stored = only_message(database_url, report_id)
    assert (stored.notice_status, stored.notice_error) == ("failed", EXPIRED)


def test_logs_name_message_ids_only(telegram, database_url: str, caplog) -> None:
    report_id, code, _ = new_report(database_url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    telegram.fail_next("sendMessage", 500, times=2)
    with caplog.at_level("INFO"):
        run_pass()
        later = only_message(database_url, report_id).notice_next_at + dt.timedelta(seconds=1)
        run_pass(clock=lambda: later)
    logged = caplog.text
    assert f"staff message(s) {only_message(database_url, report_id).id}" in logged
    for secret in (TELEGRAM_CHAT, "XYZZY", code, telegram.token):
        assert secret not in logged


# --- where it runs --------------------------------------------------------------------------------


def test_serve_starts_the_notifier_when_a_chat_platform_is_configured(monkeypatch) -> None:
    for name in ALL_CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert "alerts" not in [s.name for s in services(Settings())]
    assert "alerts" in [s.name for s in services(Settings(telegram_bot_token="1:x"))]
    whatsapp_only = Settings(
        whatsapp_access_token="a", whatsapp_app_secret="b", whatsapp_verify_token="c", whatsapp_phone_number_id="d"
    )
    assert "alerts" in [s.name for s in services(whatsapp_only)]


# --- the migration --------------------------------------------------------------------------------


def alembic_config(url: str) -> Config:
    config = Config(str(get_settings().project_root / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    return config


def notice_columns(url: str) -> set:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("staff_messages") if c["name"].startswith("notice_")}
    finally:
        engine.dispose()


def test_migration_upgrades_and_downgrades_on_sqlite(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0003_console")
    assert notice_columns(url) == set()
    engine = create_engine(url)
    with engine.begin() as connection:  # a message written before notices existed
        connection.execute(
            text(
                "INSERT INTO reports (case_code, pin_hash, status, risk_level, flags, channel, language, what_happened,"
                " consent_to_contact, anonymous, failed_pin_attempts, created_at, updated_at) VALUES"
                " ('ABCD-2345', 'x', 'new', 'low', '[]', 'telegram', 'id', 'cerita',"
                " 0, 1, 0, '2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO staff_messages (report_id, author, body, created_at)"
                " VALUES (1, 'reviewer1', 'lama', '2026-01-02')"
            )
        )
    command.upgrade(config, "head")
    assert notice_columns(url) == {
        "notice_status",
        "notice_attempts",
        "notice_next_at",
        "notice_sent_at",
        "notice_error",
    }
    with engine.begin() as connection:
        row = connection.execute(
            text("SELECT notice_status, notice_attempts, notice_next_at FROM staff_messages")
        ).one()
    assert tuple(row) == ("none", 0, None)  # old messages owe no notice
    command.downgrade(config, "0003_console")
    assert notice_columns(url) == set()
    with engine.begin() as connection:
        assert connection.execute(text("SELECT body FROM staff_messages")).scalar_one() == "lama"
    migrate(url)
    assert len(notice_columns(url)) == 5
    engine.dispose()


def test_the_notifier_process_sends_notices_with_no_staff_chat_configured(
    telegram: TelegramApiStandIn, database_url: str, tmp_path
) -> None:
    url = database_url
    report_id, code, _ = new_report(url, "telegram", f"telegram:{TELEGRAM_CHAT}")
    process_env = child_environment()
    process_env.update(DATABASE_URL=url, ALERT_POLL_SECONDS="0.5", LOG_LEVEL="INFO")
    process_env.pop("STAFF_TELEGRAM_CHAT_ID", None)
    log_path = tmp_path / "notifier.log"
    with notifier_process(process_env, log_path) as process:
        telegram.wait_for("sendMessage", 1, chat_id=TELEGRAM_CHAT, timeout=60)
        wait_until(lambda: only_message(url, report_id).notice_status == "sent", timeout=10)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert only_message(url, report_id).notice_status == "sent"
    output = log_path.read_text()
    assert "reporter notices: on (telegram)" in output and "staff alerts: off" in output
    for secret in (telegram.token, TELEGRAM_CHAT, "XYZZY", code):
        assert secret not in output


# --- the console shows each message's notice ----------------------------------------------------


def test_the_report_page_shows_the_notice_status(env, database_url: str, tmp_path) -> None:
    from console.app import create_app
    from tests.console import support

    env.setenv("VAR_DIR", str(tmp_path / "var"))
    env.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'var' / 'tracker.db'}")
    env.delenv("CONSOLE_SECRET_KEY", raising=False)
    env.setenv("CONSOLE_LANGUAGE", "en")  # the English source texts below
    support.create_accounts(database_url)
    shown = {
        ("telegram", f"telegram:{TELEGRAM_CHAT}", "sent"): "notified on Telegram",
        ("whatsapp", f"whatsapp:{WA_ID}", "waiting"): "waiting: WhatsApp 24-hour window",
        ("whatsapp", f"whatsapp:{WA_ID}", "failed"): "not sent: gave up (whatsapp: graph api 400 code 100)",
        ("telegram", f"telegram:{TELEGRAM_CHAT}", "pending"): "pending on Telegram, 2 failed attempts",
        ("rest", "rest-user-1", "none"): "not sent (REST chat: shown at next status check)",
    }
    reports = {}
    for (channel, conversation, status), _ in shown.items():
        report_id, _, _ = new_report(database_url, channel, conversation)
        with transaction(database_url) as session:
            message = session.execute(select(StaffMessage).where(StaffMessage.report_id == report_id)).scalar_one()
            message.notice_status = status
            if status == "sent":
                message.notice_sent_at = utcnow()
            if status == "failed":
                message.notice_error = "whatsapp: graph api 400 code 100"
            if status == "pending":
                message.notice_attempts, message.notice_error = 2, "telegram: <b>network</b> error"
        reports[status] = report_id
    client = create_app(get_settings()).test_client()
    assert support.sign_in(client, *support.REVIEWER).status_code == 302
    for (_, _, status), expected in shown.items():
        html = client.get(f"/reports/{reports[status]}").get_data(as_text=True)
        assert expected in " ".join(html.split()), status
    pending = client.get(f"/reports/{reports['pending']}").get_data(as_text=True)
    assert "&lt;b&gt;network&lt;/b&gt;" in pending and "<b>network" not in pending  # autoescaped
