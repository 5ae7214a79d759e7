"""The WhatsApp Cloud API channel: Meta's webhook in, Graph API ``/messages`` out.

``GET /webhooks/whatsapp/webhook`` answers Meta's subscription handshake; ``POST`` receives
notifications signed with the app secret (``X-Hub-Signature-256``). A signed notification is
always acknowledged with a 200, even when nothing in it can be used (Meta redelivers anything
else for days): its user messages are stored in the inbox first, and only when that fails is the
answer a 503, so that Meta does redeliver. Only a missing or wrong signature is refused. The
turn runs in the background through the shared pipeline (bot/channels/pipeline.py), and the
replies go out through ``WhatsAppOutput`` with retries. Until the four WHATSAPP_* secrets are
set, the webhook answers 404 and does nothing.

Nothing here logs message text, phone numbers or request bodies: counts and reasons only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.delivery import DeliveryFailed
from bot.channels.pipeline import ChannelPipeline, PlatformOutput
from bot.channels.render import plain_text, render_whatsapp, whatsapp_template
from bot.channels.whatsapp_events import (
    ROUTE_SESSION,
    ROUTE_TEMPLATE,
    body_too_large,
    outside_conversation_route,
    problem_summary,
    read_notification,
    verify_signature,
    verify_subscription,
    whatsapp_recipient,
)
from bot.clients.whatsapp_graph import GraphApi, shared_http_client
from bot.replies import BotMessage
from bot.settings import Settings, get_settings
from bot.storage.db import in_thread, transaction
from bot.storage.inbox import last_message_at

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
NOT_CONFIGURED = "WhatsApp is not configured on this server."

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


# --- sending ------------------------------------------------------------------------------------


async def send_bodies(bodies: Sequence[Dict[str, Any]]) -> None:
    """Send Graph API message bodies in order through this loop's shared client (see
    ``GraphApi.send_messages``: the first that cannot be sent stops the rest)."""
    if not bodies:
        return
    settings = get_settings()
    api = GraphApi.from_settings(settings, shared_http_client(settings.whatsapp_access_token))
    await api.send_messages(bodies, settings.send_max_attempts, settings.send_retry_base_ms / 1000, f"{CHANNEL} send")


class WhatsAppOutput(PlatformOutput):
    """Sends what Rasa says as Graph API messages (see ``render_whatsapp``)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def deliver(self, recipient_id: str, message: BotMessage) -> None:
        try:
            to = whatsapp_recipient(recipient_id)
        except ValueError:
            raise DeliveryFailed("not a whatsapp recipient", 0) from None
        await send_bodies(render_whatsapp(message, to))


# --- messages outside a conversation turn (staff follow-ups) ------------------------------------


def _last_message_at(sender_id: str) -> Optional[dt.datetime]:
    with transaction() as session:
        return last_message_at(session, CHANNEL, sender_id)


async def send_outside_conversation(sender_id: str, messages: Sequence[BotMessage]) -> str:
    """Send ``messages`` to a user who may not have written for a while. Returns "sent" (normal
    messages: the user wrote within 24 hours), "sent_template" (the approved template carrying
    the text) or "needs_template" (nothing sent: outside the window and no template configured).
    Raises DeliveryFailed when the Graph API would not take it, ValueError for a bad sender id."""
    settings = get_settings()
    if not settings.whatsapp_enabled:
        raise RuntimeError(NOT_CONFIGURED)
    to = whatsapp_recipient(sender_id)
    last = await in_thread(_last_message_at, sender_id)
    route = outside_conversation_route(last, dt.datetime.now(dt.timezone.utc), settings.whatsapp_template_name)
    if route == ROUTE_SESSION:
        output = WhatsAppOutput()
        for message in messages:
            await output.deliver(sender_id, message)
        return "sent"
    if route == ROUTE_TEMPLATE:
        text = plain_text(messages)
        if text is None:
            raise ValueError("a template needs some text to carry")
        await send_bodies(
            [whatsapp_template(to, settings.whatsapp_template_name, settings.whatsapp_template_language, text)]
        )
        return "sent_template"
    logger.info("%s: follow-up not sent: outside the 24-hour window and no template configured", CHANNEL)
    return "needs_template"


# --- the webhook --------------------------------------------------------------------------------


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def refuse_notification(request: Request, settings: Settings) -> Optional[HTTPResponse]:
    """The answer for a notification we must not read, or None when it is Meta's and small enough.
    Size first (cheap, and hashing a huge body is work for an attacker's benefit), then signature."""
    raw = request.body or b""
    if body_too_large(raw, request.headers.get("Content-Length")):
        return _error(413, "The request body is too large.")
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        logger.warning("%s: notification without a signature refused", CHANNEL)
        return _error(401, f"The {SIGNATURE_HEADER} header is required.")
    if not verify_signature(raw, header, settings.whatsapp_app_secret):
        logger.warning("%s: notification with a wrong signature refused", CHANNEL)
        return _error(403, "The signature does not match.")
    return None


class WhatsAppInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        pipeline = ChannelPipeline(CHANNEL, WhatsAppOutput)
        replaying: List["asyncio.Task[None]"] = []  # kept referenced: a bare task may be collected
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.listener("after_server_start")
        async def answer_pending(_app: Any, _loop: Any) -> None:
            # Messages accepted (and acknowledged to Meta) before a crash, or left by a replica that
            # died, are answered now and at every later look (bot/channels/pipeline.py).
            if not get_settings().whatsapp_enabled:
                return
            replaying.append(asyncio.ensure_future(pipeline.keep_replaying(on_new_message)))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            settings = get_settings()
            if not settings.whatsapp_enabled:
                return _error(404, NOT_CONFIGURED)
            result = verify_subscription(
                request.args.get("hub.mode"),
                request.args.get("hub.verify_token"),
                request.args.get("hub.challenge"),
                settings.whatsapp_verify_token,
            )
            if result.status != 200:
                logger.warning("%s: subscription handshake refused (%d)", CHANNEL, result.status)
            return response.text(result.text, status=result.status, content_type="text/plain; charset=utf-8")

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            settings = get_settings()
            if not settings.whatsapp_enabled:
                return _error(404, NOT_CONFIGURED)
            refusal = refuse_notification(request, settings)
            if refusal is not None:
                return refusal
            # Signed, so Meta's: acknowledged whatever it holds, or Meta would redeliver it for
            # days. What could not be used is logged by kind (never ids, numbers or text).
            notification = read_notification(request.body or b"", settings.whatsapp_phone_number_id)
            if notification.problems:
                logger.warning(
                    "%s: notification acknowledged with parts not used: %s",
                    CHANNEL,
                    problem_summary(notification.problems),
                )
            items = list(notification.messages)
            if not items:
                return response.json({"status": "ignored" if notification.problems else "ok"})
            try:
                new = await pipeline.receive(items, on_new_message)
            except Exception as error:  # noqa: BLE001 - the inbox is down: Meta must redeliver later
                # Only the type: database errors quote the row, i.e. the message and the number.
                logger.error("%s: could not store %d message(s) (%s)", CHANNEL, len(items), type(error).__name__)
                return _error(503, "Temporarily unable to accept messages; please retry.")
            logger.info("%s: notification with %d message(s), %d new", CHANNEL, len(items), new)
            return response.json({"status": "ok"})

        return webhook
