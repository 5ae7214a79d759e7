"""The Telegram Bot API client: python-telegram-bot's ``Bot`` for our settings, and what to do
when it raises (try again, and when, or give up).

Shared by the Telegram connector, the polling forwarder, the staff-alert notifier and the
reporter notices, so all of them reach the same API and treat its answers the same way. Reasons
are fixed strings: an error's own message can quote the token (``InvalidToken``), the chat or the
text, so it is never used in a reason or a log line.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any, Awaitable, Callable, Optional, Union

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.delivery import GiveUp, Retry, send_with_retries
from bot.safe_logging import quiet_request_lines
from bot.settings import Settings

quiet_request_lines()


def make_bot(settings: Settings, request: Optional[BaseRequest] = None) -> Bot:
    """The bot of TELEGRAM_BOT_TOKEN at TELEGRAM_API_BASE_URL (a stand-in in tests). ``request`` is
    the HTTP client (python-telegram-bot's own HTTPXRequest when not given)."""
    return Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url, request=request)


async def call_with_policy(settings: Settings, call: Callable[[], Awaitable[Any]], what: str) -> Any:
    """``call()`` (one Bot API method) with our retries; raises DeliveryFailed when it gives up."""
    return await send_with_retries(
        call, classify_telegram_error, settings.send_max_attempts, settings.send_retry_base_ms / 1000, what
    )


def retry_after_seconds(error: RetryAfter) -> Optional[float]:
    """The wait Telegram asked for, in seconds. PTB 22 returns an int, or a timedelta when
    PTB_TIMEDELTA is set; reading it as an int warns about that migration, which we handle."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Union[int, float, dt.timedelta, None] = error.retry_after
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    return max(0.0, seconds)


def classify_telegram_error(error: BaseException) -> Union[Retry, GiveUp]:
    """Retry what can pass (flood control, time-outs, network and 5xx errors); give up on what
    another attempt cannot fix (a bad request, a blocked bot, a wrong token, a moved chat)."""
    if isinstance(error, RetryAfter):
        return Retry("telegram 429", after=retry_after_seconds(error))
    # BadRequest subclasses NetworkError, so the give-up cases are checked first.
    if isinstance(error, BadRequest):
        return GiveUp("telegram bad request")
    if isinstance(error, Forbidden):
        return GiveUp("telegram forbidden")
    if isinstance(error, InvalidToken):
        return GiveUp("telegram invalid token")
    if isinstance(error, ChatMigrated):
        return GiveUp("telegram chat migrated")
    if isinstance(error, EndPointNotFound):
        return GiveUp("telegram endpoint not found")
    if isinstance(error, TimedOut):
        return Retry("telegram timed out")
    if isinstance(error, NetworkError):
        # PTB raises NetworkError for 5xx answers and for connection failures alike.
        return Retry("telegram network error")
    return GiveUp(f"telegram {type(error).__name__}")
