"""Retries, back-off and per-user ordering, without any platform."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import List

import pytest

from bot.channels.delivery import (
    DeliveryFailed,
    GiveUp,
    Retry,
    SerialPerKey,
    backoff_delay,
    parse_retry_after,
    send_with_retries,
)


def test_backoff_doubles_and_is_capped_and_retry_after_wins() -> None:
    assert [backoff_delay(a, 0.5) for a in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff_delay(20, 0.5) == 30.0
    assert backoff_delay(1, 0.5, retry_after=7) == 7


def test_parse_retry_after() -> None:
    now = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.timezone.utc)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Sat, 28 Nov 2026 03:00:10 GMT", now) == 10.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0


class Flaky:
    def __init__(self, errors: List[BaseException]) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


def classify(error: BaseException):
    if isinstance(error, TimeoutError):
        return Retry("timeout")
    if isinstance(error, KeyError):
        return Retry("rate limited", after=1.5)
    return GiveUp("bad request")


def run_with_retries(flaky: Flaky, attempts: int = 4):
    sleeps: List[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    result = asyncio.run(send_with_retries(flaky, classify, attempts, 0.1, "test send", sleep=fake_sleep))
    return result, sleeps


def test_retries_then_succeeds_honouring_retry_after() -> None:
    flaky = Flaky([TimeoutError(), KeyError(), TimeoutError()])
    result, sleeps = run_with_retries(flaky)
    assert result == "sent" and flaky.calls == 4
    assert sleeps == [0.1, 1.5, 0.4]


def test_gives_up_at_once_on_a_permanent_error() -> None:
    flaky = Flaky([ValueError("secret text")])
    with pytest.raises(DeliveryFailed) as failure:
        run_with_retries(flaky)
    assert flaky.calls == 1 and failure.value.reason == "bad request"


def test_gives_up_after_the_last_attempt(caplog: pytest.LogCaptureFixture) -> None:
    flaky = Flaky([TimeoutError("user text")] * 10)
    with pytest.raises(DeliveryFailed) as failure:
        run_with_retries(flaky, attempts=3)
    assert flaky.calls == 3 and failure.value.attempts == 3
    assert "user text" not in caplog.text


def test_serial_per_key_keeps_order_per_user_and_runs_users_in_parallel() -> None:
    events: List[str] = []

    async def job(name: str, delay: float) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(delay)
        events.append(f"end {name}")

    async def scenario() -> None:
        queue = SerialPerKey()
        queue.submit("ana", lambda: job("ana-1", 0.05))
        queue.submit("ana", lambda: job("ana-2", 0.0))
        queue.submit("budi", lambda: job("budi-1", 0.0))
        await queue.drain()
        assert queue.busy_keys == 0

    asyncio.run(scenario())
    assert events.index("end ana-1") < events.index("start ana-2")
    assert events.index("end budi-1") < events.index("end ana-1")


def test_a_failed_job_does_not_block_the_next_one() -> None:
    done: List[str] = []

    async def boom() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        done.append("fine")

    async def scenario() -> None:
        queue = SerialPerKey()
        queue.submit("ana", boom)
        queue.submit("ana", fine)
        await queue.drain()

    asyncio.run(scenario())
    assert done == ["fine"]


def test_error_summary_names_the_place_not_the_message() -> None:
    from bot.safe_logging import error_summary

    try:
        raise ValueError("Nama saya Sari, nomor 0812-3456-7890")
    except ValueError as error:
        summary = error_summary(error)
    assert summary.startswith("ValueError at test_channel_delivery.py:")
    assert "Sari" not in summary and "0812" not in summary


def test_the_last_rate_limit_wait_travels_with_the_failure() -> None:
    """An outbox schedules its next try from DeliveryFailed.retry_after, not from the platform's error."""
    with pytest.raises(DeliveryFailed) as limited:
        run_with_retries(Flaky([KeyError()] * 5), attempts=2)
    assert limited.value.retry_after == 1.5
    with pytest.raises(DeliveryFailed) as refused:
        run_with_retries(Flaky([ValueError()]))
    assert refused.value.retry_after is None
