"""Polling mode (``make telegram``): chat with the bot from a phone with only a bot token.

Without a public HTTPS address Telegram cannot call our webhook, so this process asks Telegram
for updates (long polling) and hands each one to the local webhook, with the secret, exactly as
Telegram would. Everything after that (de-duplication, order, replies) is the webhook's. An
update is confirmed to Telegram (by moving the offset past it) only once the webhook accepted it,
so a message that arrives while the assistant is still loading waits instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Optional

import httpx
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot.channels.delivery import DeliveryFailed, backoff_delay
from bot.channels.telegram import ALLOWED_UPDATES, SECRET_HEADER, register_commands
from bot.clients.telegram_bot import call_with_policy, make_bot
from bot.safe_logging import configure_logging
from bot.settings import Settings, get_settings

logger = logging.getLogger("bot.telegram_polling")

LONG_POLL_SECONDS = 25


def local_webhook_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.rasa_port}/webhooks/telegram/webhook"


async def forward(client: httpx.AsyncClient, settings: Settings, update: Update) -> bool:
    """True when the local webhook took the update (or refused it for good: a malformed update
    will not get better); False when it should be offered again (the assistant is not up yet)."""
    try:
        reply = await client.post(
            local_webhook_url(settings),
            content=update.to_json().encode("utf-8"),
            headers={SECRET_HEADER: settings.telegram_webhook_secret, "Content-Type": "application/json"},
        )
    except httpx.TransportError:
        return False
    if reply.status_code >= 500:
        return False
    if reply.status_code >= 400:
        logger.error("local webhook refused update %d with HTTP %d; skipping it", update.update_id, reply.status_code)
    return True


async def poll(settings: Settings, stop: asyncio.Event, bot: Optional[Bot] = None) -> None:
    bot = bot or make_bot(settings)
    # getUpdates is refused while a webhook is set.
    await call_with_policy(settings, lambda: bot.delete_webhook(drop_pending_updates=False), "telegram deleteWebhook")
    try:
        await register_commands(bot, settings)
    except DeliveryFailed:
        pass  # the menu is a convenience
    offset: Optional[int] = None
    failures = 0
    async with httpx.AsyncClient(timeout=30) as client:
        while not stop.is_set():
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=LONG_POLL_SECONDS, allowed_updates=ALLOWED_UPDATES
                )
                failures = 0
            except InvalidToken:
                raise
            except TelegramError as error:
                failures += 1
                delay = backoff_delay(failures, settings.send_retry_base_ms / 1000)
                logger.warning("telegram getUpdates failed (%s); retrying in %.1f s", type(error).__name__, delay)
                await _sleep_or_stop(stop, delay)
                continue
            for update in updates:
                while not stop.is_set() and not await forward(client, settings, update):
                    logger.info("waiting for the assistant to accept updates…")
                    await _sleep_or_stop(stop, 2.0)
                if stop.is_set():
                    return
                offset = update.update_id + 1


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


async def main_async() -> int:
    settings = get_settings()
    if not settings.telegram_enabled or not settings.telegram_webhook_secret:
        logger.error("Polling needs TELEGRAM_BOT_TOKEN (and TELEGRAM_WEBHOOK_SECRET, set by `make telegram`).")
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await poll(settings, stop)
    except InvalidToken:
        logger.error("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather.")
        return 2
    return 0


def main() -> int:
    configure_logging(get_settings().log_level)
    return asyncio.run(main_async())


if __name__ == "__main__":
    sys.exit(main())
