"""What Meta's WhatsApp Cloud API webhook sends us, checked and read as plain functions.

Nothing here touches a web framework, Rasa or the network (``Incoming`` is only the pipeline's
dataclass), so every rule below is tested without a server: the signature over the raw body, the subscription handshake, the body's
shape, which notifications carry a user message and what text each message stands for, and the
24-hour rule for messages we send when the user has not written recently.

Reference: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from bot.channels.payloads import MAX_SENDER_CHARS, RequestError
from bot.channels.pipeline import Incoming

# Meta batches several messages (with their contacts) into one notification, so this is larger
# than the REST channel's limit; a single text message is a few KB at most.
WHATSAPP_MAX_BODY_BYTES = 256 * 1024
SIGNATURE_PREFIX = "sha256="
SENDER_PREFIX = "whatsapp:"
# Meta's challenge is a short number; anything much longer is not Meta.
MAX_CHALLENGE_CHARS = 256
MAX_MESSAGE_ID_CHARS = 200
# WhatsApp only delivers free-form messages within 24 hours of the user's last message.
CUSTOMER_SERVICE_WINDOW = dt.timedelta(hours=24)

# Not something the user said to us: a reaction to one of our messages, or a system notice
# (e.g. "the user changed their number"). Answering these would only confuse.
IGNORED_TYPES = frozenset({"reaction", "system"})
INTERACTIVE_REPLY_TYPES = ("button_reply", "list_reply")


@dataclass(frozen=True)
class Verification:
    """The answer to Meta's subscription handshake: the status and a plain-text body."""

    status: int
    text: str


# --- signature and handshake ---------------------------------------------------------------------


def expected_signature(raw: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends: HMAC-SHA256 of the raw body, app secret as key."""
    digest = hmac.new(app_secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(raw: bytes, header: Optional[str], app_secret: str) -> bool:
    """True only for a signature made with our app secret over exactly these bytes. Compared in
    constant time, so the time taken does not tell an attacker how much of a forgery was right."""
    if not app_secret or not header:
        return False
    provided = header.strip()
    if provided[: len(SIGNATURE_PREFIX)].lower() != SIGNATURE_PREFIX:
        return False
    provided = SIGNATURE_PREFIX + provided[len(SIGNATURE_PREFIX):].lower()
    # Bytes, not str: compare_digest refuses non-ASCII str, and a forged header may hold any.
    return hmac.compare_digest(provided.encode("utf-8"), expected_signature(raw, app_secret).encode("ascii"))


def verify_subscription(mode: Optional[str], token: Optional[str], challenge: Optional[str],
                        verify_token: str) -> Verification:
    """Meta's ``GET`` handshake when the webhook is registered: echo ``hub.challenge`` (status 200)
    when ``hub.verify_token`` is ours, else refuse."""
    if not mode or not token or not challenge:
        return Verification(400, "hub.mode, hub.verify_token and hub.challenge are required.")
    if mode != "subscribe":
        return Verification(400, "hub.mode must be 'subscribe'.")
    if len(challenge) > MAX_CHALLENGE_CHARS:
        return Verification(400, "hub.challenge is too long.")
    if not verify_token or not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        return Verification(403, "The verify token does not match.")
    return Verification(200, challenge)


# --- the notification body -----------------------------------------------------------------------


def body_too_large(raw: bytes, content_length: Optional[str]) -> bool:
    """Also trusts a declared Content-Length, so a huge upload is refused on its header alone."""
    if len(raw) > WHATSAPP_MAX_BODY_BYTES:
        return True
    try:
        return content_length is not None and int(content_length) > WHATSAPP_MAX_BODY_BYTES
    except ValueError:
        return False


def decode_json(raw: bytes) -> Union[Any, RequestError]:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: absurd nesting
        return RequestError(400, "The request body must be JSON.")


class _Malformed(Exception):
    """Raised inside the parser at the first shape error; becomes a 400."""


def _dict(value: Any, where: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(f"'{where}' must be an object.")
    return value


def _list(value: Any, where: str) -> List[Any]:
    """A list, or empty when absent (Meta leaves out empty arrays)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed(f"'{where}' must be an array.")
    return value


def _string(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Malformed(f"'{where}' must be a non-empty string.")
    if len(value) > limit:
        raise _Malformed(f"'{where}' must be at most {limit} characters.")
    return value.strip()


def parse_webhook(body: Any, phone_number_id: Optional[str] = None) -> Union[List[Incoming], RequestError]:
    """The user messages in a notification, in the order Meta sent them, or a 400.

    Status callbacks (sent, delivered, read...), reactions and changes for another phone number
    of the same business account give no messages: they are acknowledged and ignored.
    """
    try:
        return _parse(body, phone_number_id)
    except _Malformed as error:
        return RequestError(400, str(error))


def _parse(body: Any, phone_number_id: Optional[str]) -> List[Incoming]:
    body = _dict(body, "body")
    if body.get("object") != "whatsapp_business_account":
        raise _Malformed("'object' must be 'whatsapp_business_account'.")
    items: List[Incoming] = []
    for entry in _list(body.get("entry"), "entry"):
        for change in _list(_dict(entry, "entry[]").get("changes"), "changes"):
            items.extend(_parse_change(_dict(change, "changes[]"), phone_number_id))
    return items


def _parse_change(change: Mapping[str, Any], phone_number_id: Optional[str]) -> List[Incoming]:
    # Other fields (account updates, template reviews...) are not conversations.
    if change.get("field") != "messages":
        return []
    value = _dict(change.get("value"), "value")
    metadata = _dict(value.get("metadata") or {}, "metadata")
    recipient = metadata.get("phone_number_id")
    if phone_number_id and recipient is not None and str(recipient) != phone_number_id:
        return []  # another number of the business account: not ours to answer
    _list(value.get("statuses"), "statuses")  # checked for shape only: delivery receipts need no reply
    items: List[Incoming] = []
    for message in _list(value.get("messages"), "messages"):
        item = _parse_message(_dict(message, "messages[]"))
        if item is not None:
            items.append(item)
    return items


def _parse_message(message: Mapping[str, Any]) -> Optional[Incoming]:
    sender = _string(message.get("from"), "from", MAX_SENDER_CHARS - len(SENDER_PREFIX))
    message_id = _string(message.get("id"), "id", MAX_MESSAGE_ID_CHARS)
    kind = _string(message.get("type"), "type", 64)
    if kind in IGNORED_TYPES:
        return None
    reader = TEXT_READERS.get(kind)
    # Image, audio, video, document, sticker, location, contacts, "unsupported" and types newer
    # than this code have no text we can read: the user hears that only text is understood.
    text = reader(message) if reader is not None else None
    return Incoming(external_id=message_id, sender_id=SENDER_PREFIX + sender, text=text, metadata=None)


def _text_of_text(message: Mapping[str, Any]) -> str:
    body = _dict(message.get("text"), "text").get("body")
    if not isinstance(body, str):
        raise _Malformed("'text.body' must be a string.")
    return body


def _text_of_interactive(message: Mapping[str, Any]) -> Optional[str]:
    """A pressed reply button or a chosen list row: its id is the payload we put on it."""
    interactive = _dict(message.get("interactive"), "interactive")
    kind = interactive.get("type")
    if kind not in INTERACTIVE_REPLY_TYPES:
        return None  # e.g. a WhatsApp Flow answer: nothing we sent, so nothing we can read
    reply = _dict(interactive.get(kind), f"interactive.{kind}")
    for key in ("id", "title"):
        if isinstance(reply.get(key), str) and reply[key].strip():
            return reply[key]
    raise _Malformed(f"'interactive.{kind}' needs an 'id'.")


def _text_of_button(message: Mapping[str, Any]) -> str:
    """A quick-reply button on a template message (staff follow-ups): its payload, else its label."""
    button = _dict(message.get("button"), "button")
    for key in ("payload", "text"):
        if isinstance(button.get(key), str) and button[key].strip():
            return button[key]
    raise _Malformed("'button' needs a 'payload' or 'text'.")


TEXT_READERS: Mapping[str, Callable[[Mapping[str, Any]], Optional[str]]] = {
    "text": _text_of_text,
    "interactive": _text_of_interactive,
    "button": _text_of_button,
}


# --- the 24-hour rule ----------------------------------------------------------------------------

ROUTE_SESSION = "session"
ROUTE_TEMPLATE = "template"
ROUTE_NEEDS_TEMPLATE = "needs_template"


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # The inbox stores naive UTC; a timezone-aware value is converted, not reinterpreted.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def window_open(last_message_at: Optional[dt.datetime], now: dt.datetime) -> bool:
    """True while free-form messages are allowed: less than 24 hours since the user last wrote."""
    if last_message_at is None:
        return False
    return _as_utc(now) - _as_utc(last_message_at) < CUSTOMER_SERVICE_WINDOW


def outside_conversation_route(last_message_at: Optional[dt.datetime], now: dt.datetime,
                               template_name: str) -> str:
    """How a message the user did not just ask for (a staff follow-up) can reach them: as a
    normal message inside the window (ROUTE_SESSION); outside it, as the approved template when
    one is configured (ROUTE_TEMPLATE); otherwise it must wait for the user to write again
    (ROUTE_NEEDS_TEMPLATE)."""
    if window_open(last_message_at, now):
        return ROUTE_SESSION
    if template_name.strip():
        return ROUTE_TEMPLATE
    return ROUTE_NEEDS_TEMPLATE


def whatsapp_recipient(sender_id: str) -> str:
    """The WhatsApp id to send to, from our ``whatsapp:<wa id>`` sender id."""
    if not sender_id.startswith(SENDER_PREFIX) or len(sender_id) == len(SENDER_PREFIX):
        raise ValueError("not a WhatsApp sender id")
    return sender_id[len(SENDER_PREFIX):]
