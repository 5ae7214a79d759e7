"""What Meta's WhatsApp Cloud API webhook sends us, checked and read as plain functions.

Nothing here touches a web framework, Rasa or the network (``Incoming`` is only the pipeline's
dataclass), so every rule below is tested without a server: the signature over the raw body, the
subscription handshake, the body's shape, which notifications carry a user message and what text
each message stands for (and what else a notification held that could not be used), and the
24-hour rule for messages we send when the user has not written recently.

Reference: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, Union

from bot.channels.payloads import MAX_SENDER_CHARS, MAX_TEXT_CHARS, RequestError, clean_text, load_json
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
    provided = SIGNATURE_PREFIX + provided[len(SIGNATURE_PREFIX) :].lower()
    # Bytes, not str: compare_digest refuses non-ASCII str, and a forged header may hold any.
    return hmac.compare_digest(provided.encode("utf-8"), expected_signature(raw, app_secret).encode("ascii"))


def verify_subscription(
    mode: Optional[str], token: Optional[str], challenge: Optional[str], verify_token: str
) -> Verification:
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
#
# Meta redelivers every notification that is not answered with a 200, for days. So once the
# signature proves a body is Meta's, nothing in it is refused: what cannot be used (a webhook-level
# ``errors`` report, a failed delivery, a field or a shape this code does not know, even a body
# that is not JSON) is acknowledged and noted by kind, and every message that can be read in the
# same batch is still answered. Only a missing or wrong signature, or a body too large to hash, is
# refused; a storage failure answers 503 so that Meta does redeliver (see whatsapp.py).

# A notification batches a few messages. Walking stops after this many items (entries, changes,
# messages, statuses, errors), so a signed body of 256 KB of tiny items is not thousands of inbox
# rows; a real notification has a handful.
MAX_WALKED_ITEMS = 500
MAX_MESSAGES_PER_NOTIFICATION = 100
MAX_ERRORS_NOTED = 10
# Reply button ids are at most 256 characters, list row ids 200 (our own payloads are shorter).
MAX_REPLY_ID_CHARS = 256
# Meta's error codes are at most 7 digits; a longer "code" is logged as a plain "errors".
MAX_ERROR_CODE = 10_000_000
# Printable ASCII without spaces: wa ids are digits, message ids base64 with a "wamid." prefix.
_TOKEN = re.compile(r"[!-~]+")

# What a notification held that could not be used, as logged (kinds only, never ids or text).
PROBLEM_NOT_AN_OBJECT = "not_an_object"
PROBLEM_NOT_WHATSAPP = "not_whatsapp_business_account"
PROBLEM_MALFORMED_ENTRY = "malformed_entry"
PROBLEM_MALFORMED_CHANGE = "malformed_change"
PROBLEM_MALFORMED_VALUE = "malformed_value"
PROBLEM_MALFORMED_STATUS = "malformed_status"
PROBLEM_MALFORMED_MESSAGE = "malformed_message"
PROBLEM_OTHER_FIELD = "other_field"
PROBLEM_TOO_MANY_ITEMS = "too_many_items"
PROBLEM_ERRORS = "errors"  # webhook-level errors (entry, change or value)
PROBLEM_STATUS_ERRORS = "status_errors"  # a message of ours that failed to be sent or delivered
PROBLEM_MESSAGE_ERRORS = "message_errors"  # e.g. 131051 on an "unsupported" message (still answered)


@dataclass(frozen=True)
class Notification:
    """One signed notification as read: the user messages to answer, in Meta's order, and the
    kinds of whatever else it held that could not be used (for the log)."""

    messages: Tuple[Incoming, ...] = ()
    problems: Tuple[str, ...] = ()


def body_too_large(raw: bytes, content_length: Optional[str]) -> bool:
    """Also trusts a declared Content-Length, so a huge upload is refused on its header alone."""
    if len(raw) > WHATSAPP_MAX_BODY_BYTES:
        return True
    try:
        return content_length is not None and int(content_length) > WHATSAPP_MAX_BODY_BYTES
    except ValueError:
        return False


def decode_json(raw: bytes) -> Union[Any, RequestError]:
    """The JSON value, or a RequestError whose ``kind`` says why not (absurd nesting, a number of
    hundreds of digits, not UTF-8, not JSON). Never raises."""
    return load_json(raw, "The request body must be JSON.")


def read_notification(raw: bytes, phone_number_id: Optional[str] = None) -> Notification:
    """A signed body, whatever it holds, as a Notification. Never raises."""
    body = decode_json(raw)
    if isinstance(body, RequestError):
        return Notification(problems=(body.kind,))
    return parse_webhook(body, phone_number_id)


def parse_webhook(body: Any, phone_number_id: Optional[str] = None) -> Notification:
    """The user messages in a notification and the kinds of what could not be used.

    Status callbacks (sent, delivered, read...), reactions, system notices and changes for
    another phone number of the same business account give no messages and are no problem.
    """
    return _Reader(phone_number_id).read(body)


def problem_summary(problems: Sequence[str], limit: int = 20) -> str:
    """``"errors:130429, malformed_message x2"``: the kinds with their counts, for one log line."""
    counts = Counter(problems)
    parts = [kind if count == 1 else f"{kind} x{count}" for kind, count in sorted(counts.items())[:limit]]
    if len(counts) > limit:
        parts.append(f"{len(counts) - limit} more kinds")
    return ", ".join(parts)


class _Malformed(Exception):
    """Raised inside one message at its first shape error; the message is skipped."""


class _Reader:
    """One walk over a notification, with a budget of items so no body makes it long."""

    def __init__(self, phone_number_id: Optional[str]) -> None:
        self.phone_number_id = phone_number_id
        self.budget = MAX_WALKED_ITEMS
        self.messages: List[Incoming] = []
        self.problems: List[str] = []

    def read(self, body: Any) -> Notification:
        if not isinstance(body, dict):
            self.problems.append(PROBLEM_NOT_AN_OBJECT)
        elif body.get("object") != "whatsapp_business_account":
            self.problems.append(PROBLEM_NOT_WHATSAPP)
        else:
            self._note_errors(body, PROBLEM_ERRORS)
            for entry in self._items(body.get("entry"), PROBLEM_MALFORMED_ENTRY):
                self._entry(entry)
        return Notification(tuple(self.messages), tuple(self.problems))

    # Each level: a dict or a problem of its kind; its "errors" noted; then its children.

    def _entry(self, entry: Any) -> None:
        if not isinstance(entry, dict):
            self.problems.append(PROBLEM_MALFORMED_ENTRY)
            return
        self._note_errors(entry, PROBLEM_ERRORS)
        for change in self._items(entry.get("changes"), PROBLEM_MALFORMED_CHANGE):
            self._change(change)

    def _change(self, change: Any) -> None:
        if not isinstance(change, dict):
            self.problems.append(PROBLEM_MALFORMED_CHANGE)
            return
        self._note_errors(change, PROBLEM_ERRORS)
        # Other fields (account updates, template reviews...) are not conversations.
        if change.get("field") != "messages":
            self.problems.append(PROBLEM_OTHER_FIELD)
            return
        value = change.get("value")
        if not isinstance(value, dict) or not isinstance(value.get("metadata") or {}, dict):
            self.problems.append(PROBLEM_MALFORMED_VALUE)
            return
        metadata = value.get("metadata") or {}
        self._note_errors(value, PROBLEM_ERRORS)
        recipient = metadata.get("phone_number_id")
        if recipient is not None and not isinstance(recipient, (str, int)):
            self.problems.append(PROBLEM_MALFORMED_VALUE)
            return
        if self.phone_number_id and recipient is not None and str(recipient) != self.phone_number_id:
            return  # another number of the business account: not ours to answer, and no problem
        for status in self._items(value.get("statuses"), PROBLEM_MALFORMED_STATUS):
            # Delivery receipts need no reply; a failed one is worth a line in the log.
            if not isinstance(status, dict):
                self.problems.append(PROBLEM_MALFORMED_STATUS)
            else:
                self._note_errors(status, PROBLEM_STATUS_ERRORS)
        for message in self._items(value.get("messages"), PROBLEM_MALFORMED_MESSAGE):
            self._message(message)

    def _message(self, message: Any) -> None:
        if len(self.messages) >= MAX_MESSAGES_PER_NOTIFICATION:
            self.problems.append(PROBLEM_TOO_MANY_ITEMS)
            return
        if not isinstance(message, dict):
            self.problems.append(PROBLEM_MALFORMED_MESSAGE)
            return
        self._note_errors(message, PROBLEM_MESSAGE_ERRORS)
        try:
            item = _parse_message(message)
        except _Malformed:
            self.problems.append(PROBLEM_MALFORMED_MESSAGE)
            return
        if item is not None:
            self.messages.append(item)

    def _items(self, value: Any, problem: str) -> List[Any]:
        """A list (empty when absent: Meta leaves out empty arrays), cut to the walk's budget."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(problem)
            return []
        taken = value[: max(0, self.budget)]
        self.budget -= len(taken)
        if len(taken) < len(value):
            self.problems.append(PROBLEM_TOO_MANY_ITEMS)
        return taken

    def _note_errors(self, holder: Mapping[str, Any], kind: str) -> None:
        """``errors`` at any level: noted with Meta's code (a number, safe to log), never read further."""
        errors = holder.get("errors")
        if errors is None:
            return
        if not isinstance(errors, list) or not errors:
            self.problems.append(kind)
            return
        for error in self._items(errors[:MAX_ERRORS_NOTED], kind):
            code = error.get("code") if isinstance(error, dict) else None
            if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < MAX_ERROR_CODE:
                self.problems.append(f"{kind}:{code}")
            else:
                self.problems.append(kind)


def _token(value: Any, where: str, limit: int) -> str:
    """An id as Meta writes it: printable ASCII without spaces, at most ``limit`` characters."""
    if not isinstance(value, str) or not 0 < len(value) <= limit or not _TOKEN.fullmatch(value):
        raise _Malformed(where)
    return value


def _dict(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(where)
    return value


def _reply_text(value: Any) -> Optional[str]:
    """A usable reply id/title/payload: a non-blank string of a sane length, cleaned."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REPLY_ID_CHARS:
        return None
    return clean_text(value)


def _parse_message(message: Mapping[str, Any]) -> Optional[Incoming]:
    sender = _token(message.get("from"), "from", MAX_SENDER_CHARS - len(SENDER_PREFIX))
    message_id = _token(message.get("id"), "id", MAX_MESSAGE_ID_CHARS)
    kind = _token(message.get("type"), "type", 64)
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
        raise _Malformed("text.body")
    # WhatsApp caps a text at 4,096 characters; anything beyond is cut rather than read.
    return clean_text(body[:MAX_TEXT_CHARS])


def _text_of_interactive(message: Mapping[str, Any]) -> Optional[str]:
    """A pressed reply button or a chosen list row: its id is the payload we put on it."""
    interactive = _dict(message.get("interactive"), "interactive")
    kind = interactive.get("type")
    if kind not in INTERACTIVE_REPLY_TYPES:
        return None  # e.g. a WhatsApp Flow answer: nothing we sent, so nothing we can read
    reply = _dict(interactive.get(kind), "interactive reply")
    for key in ("id", "title"):
        text = _reply_text(reply.get(key))
        if text is not None:
            return text
    raise _Malformed("interactive reply id")


def _text_of_button(message: Mapping[str, Any]) -> str:
    """A quick-reply button on a template message (staff follow-ups): its payload, else its label."""
    button = _dict(message.get("button"), "button")
    for key in ("payload", "text"):
        text = _reply_text(button.get(key))
        if text is not None:
            return text
    raise _Malformed("button payload")


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


def outside_conversation_route(last_message_at: Optional[dt.datetime], now: dt.datetime, template_name: str) -> str:
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
    return sender_id[len(SENDER_PREFIX) :]
