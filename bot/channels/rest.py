"""The REST channel (POST /webhooks/rest/webhook), with input validation and its own namespace.

Rasa's built-in RestInput passes a missing message on as ``None`` (which fails deep inside the
NLU), logs the user's text when a turn fails, and uses the caller's ``sender`` as the
conversation id, so a caller who writes ``"sender": "whatsapp:62812…"`` continues that WhatsApp
user's conversation (their report draft, their code and PIN). Here:

- every REST conversation id is ``rest:<sender>``: no REST caller can name a Telegram
  (``telegram:``) or WhatsApp (``whatsapp:``) user, whose ids only the signed platform webhooks
  produce;
- REST_CHANNEL=token requires ``Authorization: Bearer REST_CHANNEL_TOKEN``, =off answers 404
  (production allows only these two; bot/settings.py);
- messages per minute are limited per address and per sender (429 with a polite message);
- the caller's address reaches the actions only as a keyed hash (``metadata.client``), for the
  per-address limits on status checks and reports; the tracker store does not keep it;
- message text and sender ids never reach the logs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.payloads import RequestError, parse_rest_body
from bot.channels.pipeline import bilingual_ui_text, no_reply_text
from bot.safe_logging import error_summary
from bot.settings import Settings, get_settings
from bot.storage import counters
from bot.storage.db import in_thread
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)

REST_PREFIX = "rest:"
CLIENT_KEY = "client"
MINUTE = 60
TOO_MANY = (
    "Terlalu banyak pesan dalam waktu singkat. Tunggu sebentar lalu coba lagi. / "
    "Too many messages in a short time. Please wait a minute and try again."
)


def conversation_id(sender: str) -> str:
    """The conversation a REST caller may speak in: always under ``rest:``."""
    return REST_PREFIX + sender


def client_address(peer: str, forwarded_for: Optional[str], trusted_hops: int) -> str:
    """The caller's address: the peer, or with ``trusted_hops`` proxies in front, the address the
    outermost trusted proxy saw (X-Forwarded-For is appended to by each proxy; entries further
    left were written by the client and prove nothing)."""
    if trusted_hops <= 0 or not forwarded_for:
        return peer or "unknown"
    hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if len(hops) < trusted_hops:
        return hops[0] if hops else (peer or "unknown")
    return hops[-trusted_hops][:64]


def address_key(address: str, secret: str) -> str:
    """A keyed hash of the address: enough to count, useless to whoever reads a log or a row."""
    return hmac.new(secret.encode("utf-8") or b"-", address.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def bearer_matches(header: Optional[str], expected: str) -> bool:
    scheme, _, token = (header or "").partition(" ")
    return (
        scheme.lower() == "bearer"
        and bool(expected)
        and hmac.compare_digest(token.strip().encode("utf-8"), expected.encode("utf-8"))
    )


def access_refusal(settings: Settings, authorization: Optional[str]) -> Optional[RequestError]:
    """Why this caller may not use the REST channel (REST_CHANNEL off, or token without it)."""
    if settings.rest_channel == "off":
        return RequestError(404, "The REST channel is off on this server.")
    if settings.rest_channel != "on" and not bearer_matches(authorization, settings.rest_channel_token):
        return RequestError(401, "This channel needs its bearer token.")
    return None


def within_limits(settings: Settings, sender: str, client: str) -> bool:
    """Count this message for its sender and its address; False when either is over its limit."""
    by_sender, by_address = counters.hit_many_fast(
        [(counters.counter_key("rest-sender", sender), MINUTE), (counters.counter_key("rest-address", client), MINUTE)],
        utcnow(),
    )
    return (
        by_sender <= settings.rest_messages_per_minute and by_address <= settings.rest_messages_per_minute_per_address
    )


class ValidatedRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("validated_rest_webhook", __name__)
        settings = get_settings()

        def refusal(request: Request) -> Optional[HTTPResponse]:
            refused = access_refusal(settings, request.headers.get("Authorization"))
            return None if refused is None else response.json({"error": refused.message}, status=refused.status)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return refusal(request) or response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = refusal(request)
            if refused is not None:
                return refused
            parsed = parse_rest_body(request.body or b"")
            if isinstance(parsed, RequestError):
                return response.json({"error": parsed.message}, status=parsed.status)
            address = client_address(request.ip, request.headers.get("X-Forwarded-For"), settings.trusted_proxy_hops)
            client = address_key(address, settings.action_server_token or settings.rasa_api_token)
            try:
                allowed = await in_thread(within_limits, settings, parsed.sender, client)
            except Exception as error:  # noqa: BLE001 - no limit store: answer rather than fail closed
                logger.error("rest: rate limit store unavailable: %s", error_summary(error))
                allowed = True
            if not allowed:
                logger.warning("rest: a caller went over the message rate limit")
                return response.json({"error": TOO_MANY}, status=429, headers={"Retry-After": str(MINUTE)})
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        parsed.text,
                        collector,
                        conversation_id(parsed.sender),
                        input_channel=self.name(),
                        metadata={CLIENT_KEY: client},
                    )
                )
            except Exception as error:  # noqa: BLE001 - any failure must reach the user as an answer
                # Deliberately no message text or sender in the log: both can be personal data.
                logger.error("rest: a turn failed: %s", error_summary(error))
                return response.json(
                    {"error": bilingual_ui_text("turn_failed")}, status=503, headers={"Retry-After": "30"}
                )
            if not collector.messages:
                # Rasa carries on without an action's events when the action server cannot be
                # reached, and the turn ends silent: the user must not be left waiting.
                logger.error("rest: a turn got no reply (an action failed); the user was asked to resend")
                collector.messages.append({"recipient_id": parsed.sender, "text": no_reply_text()})
            for message in collector.messages:
                # Callers know their conversation by the sender they gave, not by our namespace.
                message["recipient_id"] = parsed.sender
            return response.json(collector.messages)

        return webhook
