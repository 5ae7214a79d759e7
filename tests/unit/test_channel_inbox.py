"""The channel inbox on SQLite and PostgreSQL: each platform message is taken once, kept until handled."""

from __future__ import annotations

import datetime as dt

from bot.storage.db import transaction
from bot.storage.inbox import (
    accept_message,
    finish_message,
    forget_old_messages,
    last_message_at,
    pending_messages,
)
from bot.storage.models import InboxMessage


def test_a_redelivered_message_is_taken_once(database_url: str) -> None:
    with transaction(database_url) as session:
        first = accept_message(session, "whatsapp", "wamid.1", "whatsapp:628", "halo")
        again = accept_message(session, "whatsapp", "wamid.1", "whatsapp:628", "halo")
        other_channel = accept_message(session, "telegram", "wamid.1", "telegram:1", "halo")
    assert first is not None and again is None and other_channel is not None
    # Also across transactions (a redelivery minutes later, another worker).
    with transaction(database_url) as session:
        assert accept_message(session, "whatsapp", "wamid.1", "whatsapp:628", "halo") is None


def test_pending_until_finished_and_text_forgotten_when_done(database_url: str) -> None:
    with transaction(database_url) as session:
        done = accept_message(session, "telegram", "m:1:1", "telegram:1", "pertama")
        failed = accept_message(session, "telegram", "m:1:2", "telegram:1", "kedua")
        media = accept_message(session, "telegram", "m:1:3", "telegram:1", None)
    with transaction(database_url) as session:
        assert [(p.inbox_id, p.text) for p in pending_messages(session, "telegram")] == [
            (done, "pertama"),
            (failed, "kedua"),
            (media, None),
        ]
        finish_message(session, done, "done")
        finish_message(session, failed, "failed", "RuntimeError")
    with transaction(database_url) as session:
        assert [p.inbox_id for p in pending_messages(session, "telegram")] == [media]
        assert session.get(InboxMessage, done).text is None
        # A failed turn keeps what the user wrote.
        assert session.get(InboxMessage, failed).text == "kedua"
        assert session.get(InboxMessage, failed).error == "RuntimeError"


def test_last_message_time_and_pruning(database_url: str) -> None:
    with transaction(database_url) as session:
        old = accept_message(session, "whatsapp", "wamid.old", "whatsapp:628", "lama")
        finish_message(session, old, "done")
        session.get(InboxMessage, old).received_at = dt.datetime(2026, 1, 1)
        assert last_message_at(session, "whatsapp", "whatsapp:628") == dt.datetime(2026, 1, 1)
        assert last_message_at(session, "whatsapp", "whatsapp:999") is None
        assert forget_old_messages(session, now=dt.datetime(2026, 3, 1)) == 1


def test_a_running_turn_keeps_renewing_its_lease_and_stops_once_another_replica_holds_it(
    database_url: str, monkeypatch
) -> None:
    """bot/channels/pipeline.py keep_lease: every third of the lease while the turn runs."""
    import asyncio

    from bot.channels.pipeline import keep_lease

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("INBOX_LEASE_SECONDS", "3")  # renewed every second here
    with transaction(database_url) as session:
        inbox_id = accept_message(
            session, "telegram", "m:9:1", "telegram:9", "lama sekali", "token-a", dt.timedelta(seconds=3)
        )
        first_lease = session.get(InboxMessage, inbox_id).lease_until

    async def renew_for(seconds: float) -> bool:
        task = asyncio.ensure_future(keep_lease(inbox_id, "token-a"))
        await asyncio.sleep(seconds)
        finished = task.done()
        task.cancel()
        return finished

    assert asyncio.run(renew_for(2.5)) is False  # still renewing
    with transaction(database_url) as session:
        row = session.get(InboxMessage, inbox_id)
        assert row.claim_token == "token-a" and row.lease_until > first_lease
        # Another replica took it over (our lease had run out): the renewal stops, it never steals it back.
        row.claim_token, row.lease_until = "token-b", dt.datetime.utcnow() + dt.timedelta(minutes=5)
    assert asyncio.run(renew_for(1.6)) is True
    with transaction(database_url) as session:
        assert session.get(InboxMessage, inbox_id).claim_token == "token-b"


def test_taking_a_message_says_whether_an_earlier_one_of_the_same_user_is_in_progress(
    database_url: str, monkeypatch
) -> None:
    from bot.channels.pipeline import _take_in_order

    monkeypatch.setenv("DATABASE_URL", database_url)
    lease = dt.timedelta(seconds=90)
    with transaction(database_url) as session:
        earlier = accept_message(session, "telegram", "m:7:1", "telegram:7", "pertama", "replica-1", lease)
        later = accept_message(session, "telegram", "m:7:2", "telegram:7", "kedua", "replica-2", lease)
        alone = accept_message(session, "telegram", "m:8:1", "telegram:8", "halo", "replica-2", lease)
    assert _take_in_order(later, "replica-2", "telegram", "telegram:7") == (True, True)
    assert _take_in_order(alone, "replica-2", "telegram", "telegram:8") == (True, False)
    assert _take_in_order(earlier, "replica-2", "telegram", "telegram:7") == (False, False)  # replica 1 holds it
    with transaction(database_url) as session:
        finish_message(session, earlier, "done", None, "replica-1")
    assert _take_in_order(later, "replica-2", "telegram", "telegram:7") == (True, False)
    with transaction(database_url) as session:
        assert session.get(InboxMessage, later).claim_token == "replica-2"
