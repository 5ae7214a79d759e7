"""Getting messages out reliably: retries with back-off, and one-at-a-time per user.

Both platforms fail now and then (5xx, rate limits with a retry-after). A reply that could not be
sent after every attempt is logged (without its text or the user's id) and reported back to the
caller, never dropped silently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, Optional, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BACKOFF_SECONDS = 30.0
# A platform asking us to wait longer than this is treated as down for this message.
MAX_RETRY_AFTER_SECONDS = 120.0


@dataclass(frozen=True)
class Retry:
    """Try again, after ``after`` seconds when the platform said how long (429 / Retry-After)."""

    reason: str
    after: Optional[float] = None


@dataclass(frozen=True)
class GiveUp:
    """Trying again cannot help (a bad request, a blocked bot, a wrong token)."""

    reason: str


class DeliveryFailed(Exception):
    """Raised when every attempt failed; ``reason`` is safe to log (no text, no user id).
    ``retry_after`` is the platform's own wait when the last answer was a rate limit, so an outbox
    can schedule the next try without looking into the platform's exception."""

    def __init__(self, reason: str, attempts: int, retry_after: Optional[float] = None) -> None:
        super().__init__(f"{reason} after {attempts} attempt(s)")
        self.reason = reason
        self.attempts = attempts
        self.retry_after = retry_after


def backoff_delay(attempt: int, base_seconds: float, retry_after: Optional[float] = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the platform's retry-after when it gave one,
    else exponential back-off from ``base_seconds`` (doubling, capped)."""
    if retry_after is not None:
        return max(0.0, retry_after)
    return min(MAX_BACKOFF_SECONDS, base_seconds * (2 ** max(0, attempt - 1)))


def parse_retry_after(value: Optional[str], now: Optional[dt.datetime] = None) -> Optional[float]:
    """An HTTP Retry-After header: delay in seconds or an HTTP date. None when absent or unreadable."""
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


async def send_with_retries(
    attempt_once: Callable[[], Awaitable[T]],
    classify: Callable[[BaseException], "Retry | GiveUp"],
    max_attempts: int,
    base_seconds: float,
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Call ``attempt_once`` until it succeeds, ``classify`` says give up, or attempts run out."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await attempt_once()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - classified below
            verdict = classify(error)
            if isinstance(verdict, GiveUp):
                logger.error("%s: not delivered (%s) after %d attempt(s)", what, verdict.reason, attempt)
                raise DeliveryFailed(verdict.reason, attempt) from error
            if attempt >= max_attempts:
                logger.error("%s: not delivered (%s) after %d attempt(s)", what, verdict.reason, attempt)
                raise DeliveryFailed(verdict.reason, attempt, verdict.after) from error
            if verdict.after is not None and verdict.after > MAX_RETRY_AFTER_SECONDS:
                logger.error("%s: not delivered (asked to wait %.0f s)", what, verdict.after)
                raise DeliveryFailed(
                    f"{verdict.reason}, retry-after {verdict.after:.0f} s", attempt, verdict.after
                ) from error
            delay = backoff_delay(attempt, base_seconds, verdict.after)
            logger.warning("%s: attempt %d failed (%s); retrying in %.1f s", what, attempt, verdict.reason, delay)
            await sleep(delay)


class SerialPerKey:
    """Runs jobs one after another for the same key (a user), concurrently across keys.

    Webhooks are acknowledged at once and handled in the background; without this, two quick
    messages from one person could be answered out of order or race on their conversation.
    """

    def __init__(self) -> None:
        self._tails: Dict[str, "asyncio.Task[None]"] = {}

    def submit(self, key: str, job: Callable[[], Awaitable[None]]) -> "asyncio.Task[None]":
        previous = self._tails.get(key)

        async def run_after_previous() -> None:
            if previous is not None:
                # Wait for it to finish, whatever its outcome; its failure is not ours.
                await asyncio.wait([previous])
            await job()

        task = asyncio.ensure_future(run_after_previous())
        self._tails[key] = task

        def forget(done: "asyncio.Task[None]") -> None:
            if self._tails.get(key) is done:
                del self._tails[key]
            if not done.cancelled() and done.exception() is not None:
                logger.error("background job failed: %s", type(done.exception()).__name__)

        task.add_done_callback(forget)
        return task

    @property
    def busy_keys(self) -> int:
        return len(self._tails)

    async def drain(self) -> None:
        """Wait until every job submitted so far has finished (tests, shutdown)."""
        while self._tails:
            await asyncio.wait(list(self._tails.values()))
