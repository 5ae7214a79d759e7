"""bot/clients/telegram_bot.py: the Bot API client, with the real python-telegram-bot against the
local stand-in over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.delivery import DeliveryFailed, GiveUp, Retry
from bot.clients.telegram_bot import call_with_policy, classify_telegram_error, make_bot, retry_after_seconds
from bot.settings import get_settings
from tests.standins.telegram_api import TelegramApiStandIn


def test_telegram_errors_are_classified_for_retries() -> None:
    assert classify_telegram_error(RetryAfter(3)) == Retry("telegram 429", after=3.0)
    assert classify_telegram_error(TimedOut()) == Retry("telegram timed out")
    assert classify_telegram_error(NetworkError("502 Bad Gateway")) == Retry("telegram network error")
    assert classify_telegram_error(BadRequest("chat not found")) == GiveUp("telegram bad request")
    assert classify_telegram_error(Forbidden("bot was blocked by the user")) == GiveUp("telegram forbidden")
    assert classify_telegram_error(InvalidToken("123:secret")) == GiveUp("telegram invalid token")
    assert classify_telegram_error(ChatMigrated(42)) == GiveUp("telegram chat migrated")
    assert classify_telegram_error(ValueError("x")) == GiveUp("telegram ValueError")


def test_the_wait_telegram_asks_for_is_read_as_seconds() -> None:
    assert retry_after_seconds(RetryAfter(7)) == 7.0
    assert retry_after_seconds(RetryAfter(dt.timedelta(seconds=2.5))) == 2.5


@pytest.fixture
def api(monkeypatch) -> Any:
    with TelegramApiStandIn() as stand_in:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", stand_in.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", stand_in.base_url)
        monkeypatch.setenv("SEND_RETRY_BASE_MS", "1")
        monkeypatch.setenv("SEND_MAX_ATTEMPTS", "3")
        yield stand_in


def send(settings: Any, text: str, bot: Any = None) -> Any:
    async def go() -> Any:
        async with bot or make_bot(settings) as client:
            return await call_with_policy(settings, lambda: client.send_message(chat_id=42, text=text), "test send")

    return asyncio.run(go())


def test_a_failing_call_is_tried_again_and_a_refusal_is_not(api) -> None:
    settings = get_settings()
    api.fail_next("sendMessage", 502)
    assert send(settings, "sesudah gangguan").text == "sesudah gangguan"
    assert [call.params["text"] for call in api.calls_to("sendMessage")] == ["sesudah gangguan"] * 2
    api.fail_next("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(DeliveryFailed, match="telegram forbidden"):
        send(settings, "diblokir")
    assert len(api.calls_to("sendMessage")) == 3  # once, not retried


def test_the_bot_uses_the_http_client_it_is_given(api) -> None:
    settings = get_settings()
    sent: list = []

    class CountingRequest(HTTPXRequest):
        async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
            sent.append(url.rsplit("/", 1)[-1])
            return await super().do_request(url, method, *args, **kwargs)

    send(settings, "halo", bot=make_bot(settings, request=CountingRequest()))
    assert sent == ["getMe", "sendMessage"]  # every call of the send, the bot's start-up one too, went through it
