"""Start-up calls to the Bot API, against the local stand-in with the real python-telegram-bot client."""

from __future__ import annotations

import asyncio

from bot.channels.telegram import ALLOWED_UPDATES, register_webhook
from bot.clients.telegram_bot import make_bot
from bot.settings import get_settings
from tests.standins.telegram_api import TelegramApiStandIn


def test_webhook_is_registered_with_the_secret_and_the_command_menu(monkeypatch) -> None:
    with TelegramApiStandIn() as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret-value")
        monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.org/webhooks/telegram/webhook")
        settings = get_settings()
        asyncio.run(register_webhook(make_bot(settings), settings))
        [webhook] = api.calls_to("setWebhook")
        assert webhook.params["url"] == "https://bot.example.org/webhooks/telegram/webhook"
        assert webhook.params["secret_token"] == "s3cret-value"
        assert webhook.params["allowed_updates"] == ALLOWED_UPDATES
        commands = {c["command"] for c in api.calls_to("setMyCommands")[0].params["commands"]}
        assert commands == {"start", "help", "lang", "lapor", "cek"}


def test_a_refused_registration_is_logged_not_fatal(monkeypatch, caplog) -> None:
    with TelegramApiStandIn() as api:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", api.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret-value")
        monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "http://not-https.example.org/hook")
        api.fail_next("setWebhook", 400, description="Bad Request: bad webhook: HTTPS url must be provided")
        settings = get_settings()
        asyncio.run(register_webhook(make_bot(settings), settings))
        assert "could not register the webhook" in caplog.text
        assert api.token not in caplog.text and "s3cret-value" not in caplog.text
