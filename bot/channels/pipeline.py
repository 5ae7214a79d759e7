"""What both chat connectors do with an incoming message, whatever the platform.

1. Write it to the inbox (a redelivery of a message already there is dropped here: answered once).
2. Acknowledge the webhook at once: the platforms retry slow webhooks.
3. In the background, one message at a time per user: run the Rasa turn and send the replies
   through the platform's OutputChannel, then mark the inbox row with the outcome.

A message accepted but not yet handled when the server stops is handled after the next start.
Nothing here logs message text or user ids: both are personal data.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, List, Optional, Sequence

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.channels.delivery import DeliveryFailed, SerialPerKey
from bot.channels.render import bot_message_from_rasa
from bot.replies import BotMessage, cached_ui_text
from bot.safe_logging import error_summary
from bot.settings import get_settings
from bot.storage.db import in_thread, transaction
from bot.storage.inbox import accept_message, finish_message, forget_old_messages, pending_messages

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class Incoming:
    """One user message, platform-neutral. ``text`` is None for media the assistant cannot read."""

    external_id: str
    sender_id: str
    text: Optional[str]
    metadata: Optional[dict] = None
    # Sent instead of running a turn (a channel's own menu, e.g. Telegram's /lang chooser).
    local_reply: Optional[BotMessage] = None


class PlatformOutput(OutputChannel):
    """Base of the Telegram and WhatsApp output channels: every Rasa message goes through the one
    renderer (bot/channels/render.py) and ``deliver``; delivery failures are collected, not raised,
    so a turn is never undone by a platform outage (the pipeline records them)."""

    def __init__(self) -> None:
        self.failures: List[str] = []

    async def deliver(self, recipient_id: str, message: BotMessage) -> None:
        raise NotImplementedError

    async def send_bot_message(self, recipient_id: str, message: BotMessage) -> None:
        try:
            await self.deliver(recipient_id, message)
        except DeliveryFailed as failure:
            self.failures.append(failure.reason)

    async def send_response(self, recipient_id: str, message: dict) -> None:
        await self.send_bot_message(recipient_id, bot_message_from_rasa(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_bot_message(recipient_id, BotMessage(text=text))


def bilingual_ui_text(key: str) -> str:
    """A notice sent outside a conversation turn, before we know the user's language: both."""
    ui = cached_ui_text(str(get_settings().content_dir / "ui.yml"))
    return f"{ui.get(key, 'id')}\n\n{ui.get(key, 'en')}"


def _accept(channel: str, item: Incoming) -> Optional[int]:
    with transaction() as session:
        return accept_message(session, channel, item.external_id, item.sender_id, item.text)


def _finish(inbox_id: int, status: str, error: Optional[str]) -> None:
    with transaction() as session:
        finish_message(session, inbox_id, status, error)


def _pending(channel: str) -> list:
    with transaction() as session:
        forget_old_messages(session)
        return pending_messages(session, channel)


class ChannelPipeline:
    def __init__(self, channel: str, make_output: Callable[[], PlatformOutput]) -> None:
        self.channel = channel
        self.make_output = make_output
        self.queue = SerialPerKey()

    async def receive(self, items: Sequence[Incoming], on_new_message: OnNewMessage) -> int:
        """Store the messages and schedule them; returns how many were new. Raises when the inbox
        cannot be written, so the webhook answers 5xx and the platform redelivers later."""
        new = 0
        for item in items:
            inbox_id = await in_thread(_accept, self.channel, item)
            if inbox_id is None:
                logger.info("%s: a redelivered message was ignored", self.channel)
                continue
            new += 1
            self.queue.submit(item.sender_id, functools.partial(self._handle, inbox_id, item, on_new_message))
        return new

    async def replay_pending(self, on_new_message: OnNewMessage) -> int:
        pending = await in_thread(_pending, self.channel)
        for message in pending:
            item = Incoming(external_id="", sender_id=message.sender_id, text=message.text)
            self.queue.submit(item.sender_id, functools.partial(self._handle, message.inbox_id, item, on_new_message))
        if pending:
            logger.info("%s: answering %d message(s) received before the last stop", self.channel, len(pending))
        return len(pending)

    async def _handle(self, inbox_id: int, item: Incoming, on_new_message: OnNewMessage) -> None:
        output = self.make_output()
        status, error = "done", None
        if item.local_reply is not None:
            await output.send_bot_message(item.sender_id, item.local_reply)
        elif item.text is None:
            await output.send_bot_message(item.sender_id, BotMessage(text=bilingual_ui_text("non_text")))
        else:
            try:
                await on_new_message(UserMessage(item.text, output, item.sender_id, input_channel=self.channel,
                                                 metadata=item.metadata))
            except Exception as error_:  # noqa: BLE001 - the user must hear back whatever failed
                logger.error("%s: a turn failed (inbox #%d kept): %s", self.channel, inbox_id, error_summary(error_))
                status, error = "failed", type(error_).__name__
                await output.send_bot_message(item.sender_id, BotMessage(text=bilingual_ui_text("turn_failed")))
        if output.failures and status == "done":
            status, error = "undelivered", "; ".join(output.failures)
            logger.error("%s: reply to inbox #%d not delivered: %s", self.channel, inbox_id, error)
        try:
            await in_thread(_finish, inbox_id, status, error)
        except Exception as error_:  # noqa: BLE001 - the row stays pending and is answered after a restart
            logger.error("%s: could not record the outcome of inbox #%d: %s", self.channel, inbox_id,
                         error_summary(error_))
