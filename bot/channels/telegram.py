"""Telegram channel (POST /webhooks/telegram/webhook), with python-telegram-bot as the client.

Not Rasa's built-in Telegram channel: that one (aiogram 2.x) calls Telegram at start-up and on
every update and checks no secret. Here an update is accepted only with the secret Telegram
echoes in ``X-Telegram-Bot-Api-Secret-Token``, acknowledged at once, and answered in the
background through the shared pipeline (inbox, de-duplication, per-user order).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
from typing import Any, Awaitable, Callable, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.channels.delivery import DeliveryFailed
from bot.channels.payloads import RequestError
from bot.channels.pipeline import ChannelPipeline, PlatformOutput
from bot.channels.render import TelegramMessage, render_telegram
from bot.channels.telegram_updates import (
    COMMAND_DESCRIPTIONS,
    SENDER_PREFIX,
    Ignored,
    TelegramIncoming,
    parse_update_body,
    update_to_incoming,
)
from bot.clients.telegram_bot import call_with_policy, make_bot
from bot.replies import BotMessage, cached_ui_text
from bot.safe_logging import error_summary
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]


def secret_matches(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison, so the secret cannot be guessed from response times."""
    return bool(given and expected) and hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def chat_id_of(recipient_id: str) -> str:
    return recipient_id[len(SENDER_PREFIX) :] if recipient_id.startswith(SENDER_PREFIX) else recipient_id


def keyboard_markup(message: TelegramMessage) -> Optional[InlineKeyboardMarkup]:
    if not message.keyboard:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(title, callback_data=data)] for title, data in message.keyboard])


class TelegramOutput(PlatformOutput):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, bot: Bot, settings: Settings) -> None:
        super().__init__()
        self.bot = bot
        self.settings = settings

    async def deliver(self, recipient_id: str, message: BotMessage) -> None:
        chat_id = chat_id_of(recipient_id)
        for part in render_telegram(message):
            send = functools.partial(
                self.bot.send_message,
                chat_id=chat_id,
                text=part.text,
                parse_mode=part.parse_mode,
                reply_markup=keyboard_markup(part),
                # Answers cite official sites: a preview card would bury the text on small screens.
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            await call_with_policy(self.settings, send, "telegram sendMessage")


class TelegramInput(InputChannel):
    """Registered in credentials.yml; serves only when TELEGRAM_BOT_TOKEN is set."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> "TelegramInput":
        # Settings come from the environment (bot/settings.py), never from credentials.yml.
        return cls()

    def __init__(self) -> None:
        self.settings = get_settings()
        self.bot = make_bot(self.settings) if self.settings.telegram_enabled else None
        self.pipeline = ChannelPipeline("telegram", self._output)
        self._background: List["asyncio.Task[Any]"] = []

    def _output(self) -> TelegramOutput:
        assert self.bot is not None
        return TelegramOutput(self.bot, self.settings)

    def get_output_channel(self) -> Optional[TelegramOutput]:
        return self._output() if self.bot is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("telegram_webhook", __name__)
        chooser = cached_ui_text(str(self.settings.content_dir / "ui.yml")).get("choose_language", "id")

        @webhook.listener("after_server_start")
        async def start(_app: Any, _loop: Any) -> None:
            if self.bot is None:
                logger.info("telegram: off (set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET to serve it)")
                return
            # Messages accepted before a stop, or left by a replica that died, are answered now and
            # at every later look (bot/channels/pipeline.py).
            self._background.append(asyncio.ensure_future(self.pipeline.keep_replaying(on_new_message)))
            if self.settings.telegram_webhook_url:
                self._background.append(asyncio.ensure_future(register_webhook(self.bot, self.settings)))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.bot is not None else "off"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.bot is None or not self.settings.telegram_webhook_secret:
                return response.json({"error": "Telegram is not configured on this server."}, status=404)
            given = request.headers.get(SECRET_HEADER)
            if not given:
                return response.json({"error": "Missing secret token."}, status=401)
            if not secret_matches(given, self.settings.telegram_webhook_secret):
                logger.warning("telegram: refused an update with a wrong secret token")
                return response.json({"error": "Wrong secret token."}, status=403)
            body = parse_update_body(request.body or b"")
            if isinstance(body, RequestError):
                return response.json({"error": body.message}, status=body.status)
            parsed = update_to_incoming(body, chooser)
            if isinstance(parsed, RequestError):
                return response.json({"error": parsed.message}, status=parsed.status)
            if isinstance(parsed, Ignored):
                return response.json({"status": "ignored"})
            return await self._accept(parsed, on_new_message)

        return webhook

    async def _accept(
        self, parsed: TelegramIncoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            new = await self.pipeline.receive([parsed.incoming], on_new_message)
        except Exception as error:  # noqa: BLE001 - Telegram redelivers on a 5xx, so nothing is lost
            logger.error("telegram: could not store an update (%s); asking Telegram to redeliver", error_summary(error))
            return response.json({"error": "Temporarily unavailable, please retry."}, status=503)
        if new and parsed.callback_query_id:
            # Stops the spinner on the pressed button; the answer itself follows as a message.
            self._background.append(asyncio.ensure_future(self._answer_callback(parsed.callback_query_id)))
        self._background = [task for task in self._background if not task.done()]
        return response.json({"status": "ok" if new else "duplicate"})

    async def _answer_callback(self, callback_query_id: str) -> None:
        bot = self.bot
        assert bot is not None
        try:
            await call_with_policy(
                self.settings, lambda: bot.answer_callback_query(callback_query_id), "telegram answerCallbackQuery"
            )
        except DeliveryFailed:
            pass  # already logged; the reply message is what matters


async def register_commands(bot: Bot, settings: Settings) -> None:
    """The command menu users see when they type "/"."""
    commands = [BotCommand(name, description) for name, description in COMMAND_DESCRIPTIONS.items()]
    await call_with_policy(settings, lambda: bot.set_my_commands(commands), "telegram setMyCommands")


async def register_webhook(bot: Bot, settings: Settings) -> None:
    """Point Telegram at TELEGRAM_WEBHOOK_URL with our secret. A failure is logged, not fatal:
    Telegram keeps the previous registration, and the operator sees the error."""
    try:
        await call_with_policy(
            settings,
            lambda: bot.set_webhook(
                url=settings.telegram_webhook_url,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=40,
            ),
            "telegram setWebhook",
        )
        await register_commands(bot, settings)
        logger.info("telegram: webhook registered")
    except DeliveryFailed:
        logger.error("telegram: could not register the webhook; check TELEGRAM_WEBHOOK_URL and the token")
