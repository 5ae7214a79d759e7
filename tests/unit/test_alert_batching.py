"""Staff alerts under a flood (issue 10 item 7): many alerts due at once, or many from one source,
or too many in a minute, become one batched message instead of one message each, and every alert
still ends sent, retried or failed. The planning is pure; the notifier runs against
python-telegram-bot and the local Bot API stand-in, like tests/unit/test_staff_alerts.py, with a
clock the test moves on (the windows of bot.storage.counters follow it)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence

import pytest
from sqlalchemy import func, select
from telegram import Bot

from bot.alerts.notifier import (
    BATCH_INTERVAL_SECONDS,
    NotifierConfig,
    PassLimits,
    PassResult,
    PendingAlert,
    _record_sent,
    batch_order,
    deliver_due_alerts,
    granted_slots,
    messages_key,
    plan_pass,
    reserve_individual,
    source_keys,
)
from bot.alerts.outbox import MAX_ATTEMPTS
from bot.alerts.summary import BATCH_SHOWN, MAX_BATCH_CHARS, AlertFacts, batch_text
from bot.recruitment.risk import FLAG_CODES
from bot.reports.draft import ReportDraft
from bot.reports.texts import ReportTexts, load_report_texts
from bot.settings import Settings, get_settings
from bot.storage import counters
from bot.storage.counters import window_start
from bot.storage.db import transaction
from bot.storage.models import Report, SecurityCounter, StaffAlert, utcnow
from bot.storage.reports import save_report
from tests.databases import PIN_KEY
from tests.standins.telegram_api import TelegramApiStandIn

STAFF_CHAT_ID = "-1009876543210"
CONSOLE = "https://console.example.org"
# Distinctive values that must never reach the staff chat or the counters table.
CONTACT = "+6289990001111"
RECRUITER_PHONE = "+6281112223334"
STORY = "XYZZY-cerita-rahasia dijanjikan kerja pabrik"
CONVERSATION = "tg:SECRET-4242"
SECRETS = (CONTACT, RECRUITER_PHONE, "XYZZY", CONVERSATION, "SECRET-4242")
PEOPLE = itertools.count(1)


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts() -> ReportTexts:
    return load_report_texts(str(get_settings().content_dir))


class Clock:
    """Starts 10 s into an hour that has not begun yet, so every alert is already due and the
    minute, batch and hour windows of the counters are where the test expects them."""

    def __init__(self) -> None:
        self.now = window_start(utcnow() + dt.timedelta(hours=1), 3600) + dt.timedelta(seconds=10)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def draft(**changes: Any) -> ReportDraft:
    values = dict(
        what_happened=STORY,
        recruiter_name="Pak Quuxwell",
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


def new_reports(
    url: str,
    count: int = 1,
    level: str = "urgent",
    conversation: Optional[str] = None,
    flags: Sequence[str] = ("upfront_fee", "trafficking_signs"),
) -> List[int]:
    """``count`` reports in one go; each from its own conversation unless ``conversation`` is given."""
    ids = []
    with transaction(url) as session:
        for _ in range(count):
            sender = conversation or f"tg:person-{next(PEOPLE)}"
            report, _ = save_report(session, draft(), level, list(flags), "telegram", sender, "id", PIN_KEY)
            ids.append(report.id)
    return ids


def case_code(url: str, report_id: int) -> str:
    with transaction(url) as session:
        return session.get(Report, report_id).case_code


def statuses(url: str) -> List[str]:
    with transaction(url) as session:
        return [a.status for a in session.execute(select(StaffAlert).order_by(StaffAlert.id)).scalars()]


def alert_of(url: str, report_id: int) -> StaffAlert:
    with transaction(url) as session:
        return session.execute(select(StaffAlert).where(StaffAlert.report_id == report_id)).scalar_one()


def config_for(url: str, texts: ReportTexts, **changes: Any) -> NotifierConfig:
    values = dict(
        chat_id=STAFF_CHAT_ID,
        console_base_url=CONSOLE,
        texts=texts,
        max_attempts=2,
        base_seconds=0.01,
        database_url=url,
        batch_threshold=3,
        messages_per_minute=20,
    )
    values.update(changes)
    return NotifierConfig(**values)


def run_pass(telegram: TelegramApiStandIn, config: NotifierConfig, clock: Callable[[], dt.datetime]) -> PassResult:
    async def one_pass() -> PassResult:
        async with Bot(telegram.token, base_url=telegram.base_url) as bot:
            return await deliver_due_alerts(bot, config, clock=clock)

    return asyncio.run(one_pass())


def sent_texts(telegram: TelegramApiStandIn) -> List[str]:
    return [call.params["text"] for call in telegram.calls_to("sendMessage", chat_id=STAFF_CHAT_ID)]


def is_batch(text: str) -> bool:
    return "peringatan digabung" in text


def pending(alert_id: int, level: str = "urgent", source: Sequence[str] = (), age_seconds: int = 0) -> PendingAlert:
    facts = AlertFacts(report_id=alert_id, case_code=f"K{alert_id:03d}-TEST", risk_level=level, flags=("upfront_fee",))
    made = dt.datetime(2026, 12, 1, 12, 0) - dt.timedelta(seconds=age_seconds)
    return PendingAlert(alert_id, facts, tuple(source), made)


# --- planning (pure) ------------------------------------------------------------------------------


def test_more_due_than_the_threshold_are_all_batched_urgent_first_then_newest() -> None:
    due = [
        pending(1, "high", age_seconds=50),
        pending(2, "urgent", age_seconds=40),
        pending(3, "high", age_seconds=5),
        pending(4, "urgent", age_seconds=10),
    ]
    plan = plan_pass(due, {}, PassLimits(batch_threshold=3, individual_budget=20))
    assert plan.individual == ()
    assert [a.alert_id for a in plan.batched] == [4, 2, 3, 1]
    # At the threshold itself each still goes on its own.
    assert len(plan_pass(due[:3], {}, PassLimits(3, 20)).individual) == 3


def test_a_source_beyond_two_alerts_an_hour_is_folded_counting_earlier_ones() -> None:
    [key] = source_keys("telegram", CONVERSATION)
    due = [pending(1, source=[key]), pending(2, source=[key]), pending(3, source=[key])]
    plan = plan_pass(due, {}, PassLimits(3, 20))
    assert [a.alert_id for a in plan.individual] == [1, 2] and [a.alert_id for a in plan.batched] == [3]
    # Two already went out this hour: the next one is folded at once; other sources are not.
    other = source_keys("telegram", "tg:someone-else")
    plan = plan_pass([pending(4, source=[key]), pending(5, source=other)], {key: 2}, PassLimits(3, 20))
    assert [a.alert_id for a in plan.individual] == [5] and [a.alert_id for a in plan.batched] == [4]


def test_the_minute_budget_limits_single_messages() -> None:
    due = [pending(1), pending(2), pending(3, "high")]
    plan = plan_pass(due, {}, PassLimits(3, individual_budget=1))
    assert [a.alert_id for a in plan.individual] == [1] and [a.alert_id for a in plan.batched] == [2, 3]
    assert plan_pass(due, {}, PassLimits(3, individual_budget=0)).individual == ()


def test_granted_slots_never_exceed_the_cap() -> None:
    assert granted_slots(count_after=3, asked=3, cap=20) == 3
    assert granted_slots(count_after=21, asked=3, cap=20) == 2  # someone else took slots meanwhile
    assert granted_slots(count_after=40, asked=3, cap=20) == 0


def test_source_keys_are_hashes_and_a_report_without_conversation_has_none() -> None:
    [key] = source_keys("telegram", CONVERSATION)
    assert CONVERSATION not in key and "SECRET" not in key and key.startswith("staff-alert-source:")
    assert source_keys("telegram", CONVERSATION) != source_keys("whatsapp", CONVERSATION)
    assert source_keys("rest", None) == () == source_keys("rest", "")
    assert STAFF_CHAT_ID not in messages_key(STAFF_CHAT_ID)


# --- the batched text -----------------------------------------------------------------------------


def test_batch_text_counts_levels_lists_a_few_with_links_and_stays_short(texts: ReportTexts) -> None:
    items = [
        AlertFacts(
            report_id=i, case_code=f"K7QX-{i:04d}", risk_level="urgent" if i <= 30 else "high", flags=tuple(FLAG_CODES)
        )
        for i in range(1, 41)
    ]
    message = batch_text(items, texts, CONSOLE + "/")
    assert message.startswith("🚨") and "40 laporan baru" in message
    assert "Darurat (urgent): 30 · Tinggi (high): 10" in message
    for item in items[:BATCH_SHOWN]:
        assert item.case_code in message and f"{CONSOLE}/reports/{item.report_id}\n" in message + "\n"
    assert items[BATCH_SHOWN].case_code not in message
    assert f"+{40 - BATCH_SHOWN} lainnya di konsol: {CONSOLE}/" in message
    assert texts.flags[FLAG_CODES[0]]["title"]["id"] in message and "lainnya" in message
    assert len(message) <= MAX_BATCH_CHARS
    # A console address long enough to overflow names fewer cases rather than growing the text.
    long_console = "https://console.example.org/" + "x" * 600
    assert len(batch_text(items, texts, long_console)) <= MAX_BATCH_CHARS


def test_batch_text_carries_nothing_personal(texts: ReportTexts) -> None:
    report = Report(
        id=7,
        case_code="ABCD-2345",
        risk_level="urgent",
        flags=["document_retention"],
        what_happened=STORY,
        recruiter_phone=RECRUITER_PHONE,
        location="Kota Bandung",
        reporter_contact=CONTACT,
        conversation_id=CONVERSATION,
        consent_to_contact=True,
        anonymous=False,
        money_text="DP 45jt ke rekening pribadi",
        documents_held="paspor",
    )
    message = batch_text([AlertFacts.from_report(report)] * 3, texts, CONSOLE)
    for secret in (*SECRETS, "45jt", "paspor"):
        assert secret not in message
    assert "ABCD-2345" in message and f"{CONSOLE}/reports/7" in message


def test_batch_order_is_urgent_first_then_newest() -> None:
    alerts = [pending(1, "high", age_seconds=1), pending(2, "urgent", age_seconds=300), pending(3, "urgent")]
    assert [a.alert_id for a in batch_order(alerts)] == [3, 2, 1]


# --- the notifier against python-telegram-bot and the Bot API stand-in ---------------------------


def test_fifty_urgent_reports_at_once_give_one_message_and_all_end_sent(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    ids = new_reports(sqlite_url, 50)
    clock = Clock()
    config = config_for(sqlite_url, texts)
    assert run_pass(telegram, config, clock) == PassResult(sent=50, batches=1)
    [message] = sent_texts(telegram)  # the old notifier sent 20 here, and 30 more at the next polls
    assert is_batch(message) and "50 laporan baru" in message and "Darurat (urgent): 50" in message
    assert sum(1 for line in message.splitlines() if "/reports/" in line) == BATCH_SHOWN
    # The newest reports are the ones named.
    assert case_code(sqlite_url, ids[-1]) in message and case_code(sqlite_url, ids[0]) not in message
    for secret in SECRETS:
        assert secret not in message
    assert statuses(sqlite_url) == ["sent"] * 50
    clock.advance(5)
    assert run_pass(telegram, config, clock) == PassResult()
    assert len(sent_texts(telegram)) == 1
    # The counters hold hashes only.
    with transaction(sqlite_url) as session:
        keys = " ".join(session.execute(select(SecurityCounter.key)).scalars())
    assert "SECRET" not in keys and STAFF_CHAT_ID not in keys


def test_a_single_urgent_report_still_gets_its_own_message_at_once(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    new_reports(sqlite_url, 10)
    clock = Clock()
    config = config_for(sqlite_url, texts)
    assert run_pass(telegram, config, clock).batches == 1
    # A batch already went out this minute; a lone new report is still sent on its own, now.
    [report_id] = new_reports(sqlite_url, 1)
    clock.advance(5)
    assert run_pass(telegram, config, clock) == PassResult(sent=1)
    single = sent_texts(telegram)[-1]
    assert not is_batch(single) and "Laporan baru" in single and case_code(sqlite_url, report_id) in single
    assert f"{CONSOLE}/reports/{report_id}" in single
    assert alert_of(sqlite_url, report_id).status == "sent"


def test_a_conversation_beyond_two_alerts_an_hour_is_folded_into_batches(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    clock = Clock()
    config = config_for(sqlite_url, texts)
    new_reports(sqlite_url, 1, conversation=CONVERSATION)
    assert run_pass(telegram, config, clock) == PassResult(sent=1)
    new_reports(sqlite_url, 1, conversation=CONVERSATION)
    clock.advance(5)
    assert run_pass(telegram, config, clock) == PassResult(sent=1)
    # The third from the same conversation: folded (a batch of one, the batch window being free).
    third = new_reports(sqlite_url, 1, conversation=CONVERSATION)
    clock.advance(5)
    assert run_pass(telegram, config, clock) == PassResult(sent=1, batches=1)
    assert is_batch(sent_texts(telegram)[-1]) and case_code(sqlite_url, third[0]) in sent_texts(telegram)[-1]
    # Two more from it wait for the next batch window; another conversation's report does not wait.
    more = new_reports(sqlite_url, 2, conversation=CONVERSATION)
    [other] = new_reports(sqlite_url, 1, conversation="tg:another-person")
    clock.advance(5)
    assert run_pass(telegram, config, clock) == PassResult(sent=1, held=2)
    assert not is_batch(sent_texts(telegram)[-1]) and case_code(sqlite_url, other) in sent_texts(telegram)[-1]
    assert [alert_of(sqlite_url, r).status for r in more] == ["pending", "pending"]
    assert all(alert_of(sqlite_url, r).attempts == 0 for r in more)  # held is not a failed attempt
    clock.advance(BATCH_INTERVAL_SECONDS)
    assert run_pass(telegram, config, clock) == PassResult(sent=2, batches=1)
    last = sent_texts(telegram)[-1]
    assert is_batch(last) and "2 laporan baru" in last
    assert all(case_code(sqlite_url, r) in last for r in more) and case_code(sqlite_url, other) not in last
    # Six reports, five messages; the conversation's alerts beyond its first two came batched.
    assert len(sent_texts(telegram)) == 5
    assert statuses(sqlite_url) == ["sent"] * 6


def test_beyond_the_minute_cap_the_rest_go_as_one_batch(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    clock = Clock()
    config = config_for(sqlite_url, texts, messages_per_minute=2)
    results = []
    for _ in range(4):  # four people, a report each, one poll apart
        new_reports(sqlite_url, 1)
        results.append(run_pass(telegram, config, clock))
        clock.advance(5)
    assert results == [PassResult(sent=1), PassResult(sent=1), PassResult(sent=1, batches=1), PassResult(held=1)]
    # The next minute is still treated as flooded (the last one hit the cap): the waiting alert
    # and a new one go out as one batch, not one by one.
    new_reports(sqlite_url, 1)
    clock.advance(60)
    assert run_pass(telegram, config, clock) == PassResult(sent=2, batches=1)
    assert [is_batch(text) for text in sent_texts(telegram)] == [False, False, True, True]
    # A quiet minute later, single alerts are back.
    new_reports(sqlite_url, 1)
    clock.advance(60)
    assert run_pass(telegram, config, clock) == PassResult(sent=1)
    assert not is_batch(sent_texts(telegram)[-1])
    assert statuses(sqlite_url) == ["sent"] * 6


def test_a_failed_batch_backs_off_every_alert_in_it_then_goes_out_whole(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    ids = new_reports(sqlite_url, 5)
    clock = Clock()
    config = config_for(sqlite_url, texts, max_attempts=2)
    telegram.fail_next("sendMessage", 500, times=2)
    assert run_pass(telegram, config, clock) == PassResult(retrying=5)
    assert len(sent_texts(telegram)) == 2  # two on-the-spot attempts of the one batched message
    for report_id in ids:
        alert = alert_of(sqlite_url, report_id)
        assert (alert.status, alert.attempts, alert.last_error) == ("pending", 1, "telegram network error")
        assert alert.next_attempt_at > clock()
    clock.advance(BATCH_INTERVAL_SECONDS)
    assert run_pass(telegram, config, clock) == PassResult(sent=5, batches=1)
    assert statuses(sqlite_url) == ["sent"] * 5
    # On the last allowed attempt a failing batch gives every alert up (the console lists them).
    more = new_reports(sqlite_url, 4)
    with transaction(sqlite_url) as session:
        for alert in session.execute(select(StaffAlert).where(StaffAlert.report_id.in_(more))).scalars():
            alert.attempts = MAX_ATTEMPTS - 1
    telegram.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    clock.advance(BATCH_INTERVAL_SECONDS)
    assert run_pass(telegram, config, clock) == PassResult(failed=4)
    assert [alert_of(sqlite_url, r).status for r in more] == ["failed"] * 4


def test_a_flood_bigger_than_one_pass_takes_the_urgent_ones_first(
    telegram: TelegramApiStandIn, sqlite_url: str, texts: ReportTexts
) -> None:
    high = new_reports(sqlite_url, 6, level="high")  # older
    urgent = new_reports(sqlite_url, 6, level="urgent")
    clock = Clock()
    config = config_for(sqlite_url, texts, max_per_pass=6)
    assert run_pass(telegram, config, clock) == PassResult(sent=6, batches=1)
    assert all(alert_of(sqlite_url, r).status == "sent" for r in urgent)
    assert all(alert_of(sqlite_url, r).status == "pending" for r in high)
    clock.advance(BATCH_INTERVAL_SECONDS)
    assert run_pass(telegram, config, clock) == PassResult(sent=6, batches=1)
    assert "Tinggi (high): 6" in sent_texts(telegram)[-1]
    assert statuses(sqlite_url) == ["sent"] * 12


def test_settings_feed_the_limits(monkeypatch, texts: ReportTexts) -> None:
    monkeypatch.setenv("ALERT_BATCH_THRESHOLD", "7")
    monkeypatch.setenv("ALERT_MESSAGES_PER_MINUTE", "9")
    monkeypatch.setenv("STAFF_TELEGRAM_CHAT_ID", STAFF_CHAT_ID)
    config = NotifierConfig.from_settings(Settings())
    assert (config.batch_threshold, config.messages_per_minute) == (7, 9)
    monkeypatch.delenv("ALERT_MESSAGES_PER_MINUTE")
    assert Settings().alert_messages_per_minute == 20


# --- the counts are atomic (SQLite file and PostgreSQL: the database_url fixture) ---------------


def test_parallel_reservations_never_exceed_the_minute_cap(database_url: str) -> None:
    now = Clock()()
    barrier = threading.Barrier(10)

    def reserve() -> int:
        barrier.wait()
        with transaction(database_url) as session:
            return reserve_individual(session, STAFF_CHAT_ID, 1, 5, now)

    with ThreadPoolExecutor(max_workers=10) as pool:
        granted = list(pool.map(lambda _: reserve(), range(10)))
    assert sum(granted) == 5
    with transaction(database_url) as session:
        assert counters.current(session, messages_key(STAFF_CHAT_ID), 60, now) == 10


def test_parallel_deliveries_from_one_source_are_all_counted(database_url: str, texts: ReportTexts) -> None:
    ids = new_reports(database_url, 8, conversation=CONVERSATION)
    keys = source_keys("telegram", CONVERSATION)
    with transaction(database_url) as session:
        alerts = [alert.id for alert in session.execute(select(StaffAlert).order_by(StaffAlert.id)).scalars()]
    config = config_for(database_url, texts)
    now = Clock()()
    barrier = threading.Barrier(len(alerts))

    def deliver(alert_id: int) -> None:
        barrier.wait()
        facts = AlertFacts(report_id=alert_id, case_code="X", risk_level="urgent")
        _record_sent(config, PendingAlert(alert_id, facts, keys, now), now)

    with ThreadPoolExecutor(max_workers=len(alerts)) as pool:
        list(pool.map(deliver, alerts))
    with transaction(database_url) as session:
        assert counters.current(session, keys[0], 3600, now) == len(ids)
        assert session.execute(
            select(func.count()).select_from(StaffAlert).where(StaffAlert.status == "sent")
        ).scalar_one() == len(ids)
