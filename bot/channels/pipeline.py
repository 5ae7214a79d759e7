"""What both chat connectors do with an incoming message, whatever the platform.

1. Write it to the inbox (a redelivery of a message already there is dropped here: answered once).
2. Acknowledge the webhook at once: the platforms retry slow webhooks.
3. In the background, one message at a time per user: run the Rasa turn and send the replies
   through the platform's OutputChannel, then mark the inbox row with the outcome.

A message accepted but not yet handled when the server stops is handled after the next start, or
by another replica once its lease runs out (bot/storage/inbox.py): every replica looks for such
messages every INBOX_REPLAY_SECONDS.
Nothing here logs message text or user ids: both are personal data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, List, Optional, Sequence, Tuple

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.channels.delivery import DeliveryFailed, SerialPerKey
from bot.channels.render import bot_message_from_rasa
from bot.replies import BotMessage, cached_ui_text
from bot.responses import domain_responses, response_text
from bot.safe_logging import error_summary
from bot.settings import get_settings
from bot.storage.db import in_thread, transaction
from bot.storage.inbox import (
    accept_message,
    claim_pending,
    earlier_in_progress,
    finish_message,
    forget_old_messages,
    take_message,
)
from bot.storage.leases import new_claim_token
from bot.turn_gate import TURN_GATE

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
        self.attempted = 0  # messages this turn tried to send (delivered or not)

    async def deliver(self, recipient_id: str, message: BotMessage) -> None:
        raise NotImplementedError

    async def send_bot_message(self, recipient_id: str, message: BotMessage) -> None:
        self.attempted += 1
        try:
            # A network round trip to the platform: other users' turns run meanwhile (bot/turn_gate.py).
            async with TURN_GATE.outside():
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


def bilingual_response(name: str) -> str:
    """One of domain.yml's responses, both languages, for a message answered outside a turn."""
    responses = domain_responses()
    return f"{response_text(responses, name, 'id')}\n\n{response_text(responses, name, 'en')}"


def no_reply_text() -> str:
    """What a user hears when their turn produced no reply (an action could not run)."""
    return bilingual_ui_text("no_reply")


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=get_settings().inbox_lease_seconds)


def _accept(channel: str, item: Incoming, token: str) -> Optional[int]:
    with transaction() as session:
        return accept_message(session, channel, item.external_id, item.sender_id, item.text, token, _lease())


def _renew(inbox_id: int, token: str) -> bool:
    with transaction() as session:
        return take_message(session, inbox_id, token, _lease())


def _take_in_order(inbox_id: int, token: str, channel: str, sender_id: str) -> Tuple[bool, bool]:
    """(the message is ours, an earlier one of the same user is in progress elsewhere), in one
    transaction: one database round trip per message instead of two."""
    with transaction() as session:
        if not take_message(session, inbox_id, token, _lease()):
            return False, False
        try:
            # In a savepoint: the order is best effort, the lease just taken must stay taken.
            with session.begin_nested():
                earlier = earlier_in_progress(session, channel, sender_id, inbox_id)
        except Exception as error:  # noqa: BLE001 - answered now rather than after a replay
            logger.warning("%s: order of inbox #%d not checked (%s)", channel, inbox_id, type(error).__name__)
            earlier = False
        return True, earlier


def _finish(inbox_id: int, status: str, error: Optional[str], token: Optional[str] = None) -> None:
    with transaction() as session:
        finish_message(session, inbox_id, status, error, token)


def _earlier_in_progress(channel: str, sender_id: str, inbox_id: int) -> bool:
    with transaction() as session:
        return earlier_in_progress(session, channel, sender_id, inbox_id)


# Waiting for a user's earlier message on another replica: quick looks first, then every 100 ms.
FIRST_ORDER_WAIT_SECONDS = 0.02
MAX_ORDER_WAIT_SECONDS = 0.1


async def wait_for_earlier(channel: str, sender_id: str, inbox_id: int) -> None:
    """Hold a message while the same user's earlier one is answered elsewhere (at most one lease)."""
    deadline = asyncio.get_running_loop().time() + get_settings().inbox_lease_seconds
    wait = FIRST_ORDER_WAIT_SECONDS
    while await in_thread(_earlier_in_progress, channel, sender_id, inbox_id):
        if asyncio.get_running_loop().time() > deadline:
            logger.warning("%s: inbox #%d answered before an earlier message still in progress", channel, inbox_id)
            return
        await asyncio.sleep(wait)
        wait = min(wait * 2, MAX_ORDER_WAIT_SECONDS)


async def keep_lease(inbox_id: int, token: str) -> None:
    """Renew the message's lease every third of it while its turn runs (a turn waiting on a slow
    action or a Redis lock must not be taken over by another replica)."""
    while True:
        await asyncio.sleep(max(1.0, get_settings().inbox_lease_seconds / 3))
        try:
            if not await in_thread(_renew, inbox_id, token):
                return
        except Exception as error:  # noqa: BLE001 - the next renewal tries again
            logger.warning("inbox #%d: lease not renewed (%s)", inbox_id, type(error).__name__)


def _claim_pending(channel: str, token: str) -> list:
    with transaction() as session:
        forget_old_messages(session)
        return claim_pending(session, channel, token, _lease())


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
            token = new_claim_token()
            inbox_id = await in_thread(_accept, self.channel, item, token)
            if inbox_id is None:
                logger.info("%s: a redelivered message was ignored", self.channel)
                continue
            new += 1
            self.queue.submit(item.sender_id, functools.partial(self._handle, inbox_id, token, item, on_new_message))
        return new

    async def replay_pending(self, on_new_message: OnNewMessage) -> int:
        """Answer the pending messages nobody holds: received before the last stop, or held by a
        replica whose lease ran out."""
        token = new_claim_token()
        pending = await in_thread(_claim_pending, self.channel, token)
        for message in pending:
            item = Incoming(external_id="", sender_id=message.sender_id, text=message.text)
            self.queue.submit(
                item.sender_id, functools.partial(self._handle, message.inbox_id, token, item, on_new_message)
            )
        if pending:
            logger.info(
                "%s: answering %d message(s) left pending (a stop, or another replica)", self.channel, len(pending)
            )
        return len(pending)

    async def keep_replaying(self, on_new_message: OnNewMessage) -> None:
        """Every INBOX_REPLAY_SECONDS, answer what was left pending (runs for the server's life)."""
        while True:
            try:
                await self.replay_pending(on_new_message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the database may be down; look again later
                logger.error("%s: could not look for pending messages (%s)", self.channel, type(error).__name__)
            await asyncio.sleep(get_settings().inbox_replay_seconds)

    async def _handle(self, inbox_id: int, token: str, item: Incoming, on_new_message: OnNewMessage) -> None:
        try:
            ours, earlier = await in_thread(_take_in_order, inbox_id, token, self.channel, item.sender_id)
        except Exception as error:  # noqa: BLE001 - the row stays pending; its lease runs out and it is replayed
            logger.error(
                "%s: inbox #%d could not be taken (%s); left for a replay", self.channel, inbox_id, type(error).__name__
            )
            return
        if not ours:
            logger.info("%s: inbox #%d is answered elsewhere (another replica, or already)", self.channel, inbox_id)
            return
        renewing = asyncio.ensure_future(keep_lease(inbox_id, token))
        try:
            try:
                if earlier:
                    await wait_for_earlier(self.channel, item.sender_id, inbox_id)
            except Exception as error:  # noqa: BLE001 - order is best effort; the answer is not
                logger.warning("%s: order of inbox #%d not checked (%s)", self.channel, inbox_id, type(error).__name__)
            await self._run_turn(inbox_id, token, item, on_new_message)
        finally:
            renewing.cancel()

    async def _run_turn(self, inbox_id: int, token: str, item: Incoming, on_new_message: OnNewMessage) -> None:
        output = self.make_output()
        status, error = "done", None
        if item.local_reply is not None:
            await output.send_bot_message(item.sender_id, item.local_reply)
        elif item.text is None:
            await output.send_bot_message(item.sender_id, BotMessage(text=bilingual_response("utter_non_text")))
        else:
            try:
                await on_new_message(
                    UserMessage(item.text, output, item.sender_id, input_channel=self.channel, metadata=item.metadata)
                )
            except Exception as error_:  # noqa: BLE001 - the user must hear back whatever failed
                logger.error("%s: a turn failed (inbox #%d kept): %s", self.channel, inbox_id, error_summary(error_))
                status, error = "failed", type(error_).__name__
                await output.send_bot_message(item.sender_id, BotMessage(text=bilingual_ui_text("turn_failed")))
            if output.attempted == 0:
                # Rasa carries on without an action's events when the action server cannot be
                # reached, and the turn ends silent: the user must not be left waiting.
                logger.error(
                    "%s: inbox #%d got no reply (an action failed); the user was asked to resend",
                    self.channel,
                    inbox_id,
                )
                await output.send_bot_message(item.sender_id, BotMessage(text=no_reply_text()))
        if output.failures and status == "done":
            status, error = "undelivered", "; ".join(output.failures)
            logger.error("%s: reply to inbox #%d not delivered: %s", self.channel, inbox_id, error)
        try:
            await in_thread(_finish, inbox_id, status, error, token)
        except Exception as error_:  # noqa: BLE001 - the row stays pending and is answered after a restart
            logger.error(
                "%s: could not record the outcome of inbox #%d: %s", self.channel, inbox_id, error_summary(error_)
            )
