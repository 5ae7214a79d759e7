"""Several replicas and notifiers on one database (issue 11): the inbox and both outboxes are
claimed row by row (bot/storage/leases.py), on SQLite and on this machine's PostgreSQL (the
``database_url`` fixture), so each message, alert and notice is handled once."""

from __future__ import annotations

import datetime as dt
import itertools
import signal
import threading
import time
from collections import Counter
from typing import Callable, List, Sequence

from sqlalchemy import select, update

from bot.alerts.outbox import claim_due_with_reports, mark_sent, release_claims
from bot.alerts.reporter_notices import claim_due_notices
from bot.storage.db import transaction
from bot.storage.inbox import accept_message, claim_pending, finish_message, take_message
from bot.storage.leases import new_claim_token
from bot.storage.models import InboxMessage, StaffAlert, StaffMessage, utcnow
from bot.storage.reports import add_staff_message, save_report
from tests.databases import PIN_KEY
from tests.servers import notifier_process, wait_until
from tests.standins.telegram_api import TelegramApiStandIn
from tests.unit.test_report_storage import draft
from tests.unit.test_staff_alerts import STAFF_CHAT_ID, notifier_environment

LEASE = dt.timedelta(minutes=5)
CHATS = itertools.count()


def reports(url: str, count: int, level: str = "urgent", staff_message: bool = False) -> List[str]:
    """``count`` reports from different chats (one source each); returns their case codes."""
    codes = []
    with transaction(url) as session:
        for _ in range(count):
            chat = str(7000 + next(CHATS))
            report, _ = save_report(session, draft(), level, ["upfront_fee"], "telegram", chat, "id", PIN_KEY)
            if staff_message:
                add_staff_message(session, report, "reviewer1", "Kami sudah menindaklanjuti laporanmu.")
            codes.append(report.case_code)
    return codes


def at_once(workers: Sequence[Callable[[], List[int]]]) -> List[List[int]]:
    """Run the workers in threads released together; returns what each returned."""
    barrier = threading.Barrier(len(workers))
    results: List[List[int]] = [[] for _ in workers]

    def run(index: int) -> None:
        barrier.wait()
        results[index] = workers[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_claims_of_the_alert_outbox_are_disjoint_and_cover_everything(database_url: str) -> None:
    reports(database_url, 24)
    now = utcnow()

    def claimer() -> List[int]:
        with transaction(database_url) as session:
            return [alert.id for alert, _ in claim_due_with_reports(session, now, 10, new_claim_token())]

    claimed = at_once([claimer, claimer, claimer, claimer])
    flat = [alert_id for ids in claimed for alert_id in ids]
    assert len(flat) == len(set(flat)) == 24, claimed
    # Claimed rows are not due for anyone else until their lease runs out...
    with transaction(database_url) as session:
        assert claim_due_with_reports(session, now, 50, new_claim_token()) == []
        # ...and then they are (the notifier holding them died).
        later = now + dt.timedelta(minutes=11)
        assert len(claim_due_with_reports(session, later, 50, new_claim_token())) == 24


def test_recording_an_outcome_or_releasing_ends_the_claim(database_url: str) -> None:
    reports(database_url, 3)
    now = utcnow()
    token = new_claim_token()
    with transaction(database_url) as session:
        first, second, third = [alert.id for alert, _ in claim_due_with_reports(session, now, 10, token)]
        assert mark_sent(session, first, now)
        # Another notifier's token cannot release what this one holds.
        assert release_claims(session, [second, third], new_claim_token()) == 0
        assert release_claims(session, [first, second], token) == 1  # the sent one is no longer claimed
    with transaction(database_url) as session:
        assert [alert.id for alert, _ in claim_due_with_reports(session, now, 10, new_claim_token())] == [second]
        rows = {row.id: row for row in session.execute(select(StaffAlert)).scalars()}
        assert rows[first].status == "sent" and rows[first].claim_token is None and rows[first].lease_until is None


def test_concurrent_claims_of_reporter_notices_are_disjoint(database_url: str) -> None:
    reports(database_url, 12, level="medium", staff_message=True)
    with transaction(database_url) as session:
        session.execute(update(StaffMessage).values(notice_status="pending", notice_next_at=None))
    now = utcnow()

    def claimer() -> List[int]:
        with transaction(database_url) as session:
            return claim_due_notices(session, now, new_claim_token(), limit=5)

    claimed = at_once([claimer, claimer, claimer])
    flat = [message_id for ids in claimed for message_id in ids]
    assert len(flat) == len(set(flat)) == 12, claimed


def test_an_inbox_message_is_answered_by_one_replica(database_url: str) -> None:
    mine, other = new_claim_token(), new_claim_token()
    with transaction(database_url) as session:
        inbox_id = accept_message(session, "telegram", "u:1", "telegram:55501234", "halo", mine, LEASE)
        # The same delivery on a second replica is a redelivery: no second row, no second turn.
        assert accept_message(session, "telegram", "u:1", "telegram:55501234", "halo", other, LEASE) is None
    with transaction(database_url) as session:
        # While the accepting replica's lease runs, nobody else claims or takes it.
        assert claim_pending(session, "telegram", other, LEASE) == []
        assert not take_message(session, inbox_id, other, LEASE)
        assert take_message(session, inbox_id, mine, LEASE)
    # The accepting replica dies: once its lease ran out, another replica claims the message...
    later = utcnow() + LEASE + dt.timedelta(seconds=1)
    with transaction(database_url) as session:
        [pending] = claim_pending(session, "telegram", other, LEASE, now=later)
        assert (pending.inbox_id, pending.text) == (inbox_id, "halo")
    with transaction(database_url) as session:
        # ...and the first one, should it come back to it, finds it is no longer its own.
        assert not take_message(session, inbox_id, mine, LEASE, now=later)
        assert take_message(session, inbox_id, other, LEASE, now=later)
        finish_message(session, inbox_id, "done")
    with transaction(database_url) as session:
        row = session.get(InboxMessage, inbox_id)
        assert (row.status, row.claim_token, row.lease_until, row.text) == ("done", None, None, None)
        assert not take_message(session, inbox_id, other, LEASE)


def test_concurrent_replays_claim_each_pending_message_once(database_url: str) -> None:
    with transaction(database_url) as session:
        for index in range(30):
            accept_message(session, "whatsapp", f"wamid.{index}", f"whatsapp:62812{index:05d}", "halo")

    def replica() -> List[int]:
        with transaction(database_url) as session:
            return [
                message.inbox_id for message in claim_pending(session, "whatsapp", new_claim_token(), LEASE, limit=12)
            ]

    claimed = at_once([replica, replica, replica])
    flat = [inbox_id for ids in claimed for inbox_id in ids]
    assert len(flat) == len(set(flat)) == 30, claimed


def test_two_notifier_processes_send_each_alert_once(database_url: str, tmp_path) -> None:
    codes = reports(database_url, 8)
    # Each send takes a while, as over a real network: while one notifier is busy sending, the
    # reports arriving meanwhile are the other's to claim, so both must do some of the work.
    with TelegramApiStandIn(response_delay_seconds=0.3) as telegram:
        # Individual alerts only (no batching), so every alert is one message naming its case.
        environment = notifier_environment(
            telegram,
            database_url,
            ALERT_BATCH_THRESHOLD="1000",
            ALERT_MESSAGES_PER_MINUTE="1000",
            ALERT_POLL_SECONDS="0.2",
        )
        logs = [tmp_path / "first.log", tmp_path / "second.log"]
        with (
            notifier_process(environment, logs[0]) as first,
            notifier_process(environment, logs[1]) as second,
        ):
            # Both poll before more reports come (one may take the first eight alone).
            assert wait_until(lambda: all("staff alerts: on" in log.read_text() for log in logs), timeout=60)
            # Reports keep arriving while both poll, as on a busy day.
            for _ in range(24):
                codes += reports(database_url, 1)
                time.sleep(0.1)
            assert wait_until(lambda: all_sent(database_url), timeout=90), "not every alert was sent"
            # A few more polls of both: nothing is sent again.
            wait_until(lambda: False, timeout=2)
            first.send_signal(signal.SIGTERM)
            second.send_signal(signal.SIGTERM)
            first.wait(timeout=20)
            second.wait(timeout=20)
        sent = Counter(
            code
            for call in telegram.calls_to("sendMessage", chat_id=STAFF_CHAT_ID)
            for code in codes
            if code in str(call.params.get("text"))
        )
    assert sent == Counter({code: 1 for code in codes})
    # Both notifiers did work (the test would prove nothing if one of them never got a row).
    texts = [log.read_text() for log in logs]
    assert all(": sent" in text for text in texts), "\n".join(texts)


def all_sent(url: str) -> bool:
    with transaction(url) as session:
        return all(status == "sent" for status in session.execute(select(StaffAlert.status)).scalars())


def test_a_report_with_several_open_notices_is_claimed_whole_by_one_notifier(database_url: str) -> None:
    with transaction(database_url) as session:
        report, _ = save_report(session, draft(), "medium", [], "telegram", "7999", "id", PIN_KEY)
        for body in ("Pesan pertama dari petugas.", "Pesan kedua dari petugas."):
            add_staff_message(session, report, "reviewer1", body)
        session.execute(update(StaffMessage).values(notice_status="pending", notice_next_at=None))
    now = utcnow()

    def claimer() -> List[int]:
        with transaction(database_url) as session:
            return claim_due_notices(session, now, new_claim_token())

    claimed = sorted(at_once([claimer, claimer]), key=len)
    # One notice covers both messages: one notifier holds both, the other none (never one each).
    assert [len(ids) for ids in claimed] == [0, 2], claimed


def test_a_later_message_waits_only_for_an_earlier_one_in_progress(database_url: str) -> None:
    from bot.storage.inbox import earlier_in_progress

    sender = "telegram:55507777"
    with transaction(database_url) as session:
        first = accept_message(session, "telegram", "u:10", sender, "halo", new_claim_token(), LEASE)
        second = accept_message(session, "telegram", "u:11", sender, "mau tanya", new_claim_token(), LEASE)
        other = accept_message(session, "telegram", "u:12", "telegram:55508888", "halo", new_claim_token(), LEASE)
    with transaction(database_url) as session:
        assert earlier_in_progress(session, "telegram", sender, second)  # the first is being answered
        assert not earlier_in_progress(session, "telegram", sender, first)
        assert not earlier_in_progress(session, "telegram", "telegram:55508888", other)  # other users: no wait
    with transaction(database_url) as session:
        finish_message(session, first, "done")
    with transaction(database_url) as session:
        assert not earlier_in_progress(session, "telegram", sender, second)
        third = accept_message(session, "telegram", "u:13", sender, "lagi", new_claim_token(), LEASE)
    # An earlier message nobody holds any more (its replica died) is not waited for.
    later = utcnow() + LEASE + dt.timedelta(seconds=1)
    with transaction(database_url) as session:
        assert not earlier_in_progress(session, "telegram", sender, third, now=later)
