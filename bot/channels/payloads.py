"""Validation of incoming webhook bodies, as plain functions (no web framework).

Every channel reads its JSON through ``load_json``, so one set of limits holds at every edge: a
body that is not UTF-8 JSON, nests absurdly deep or carries a number hundreds of digits long is a
polite 400 (with a ``kind`` that is safe to log), never an exception inside a request handler.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, List, Union

# Generous for a chat message (the NLU reads only the first 1,000 characters anyway).
MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128
# Telegram and WhatsApp both cap a text message at 4,096 characters; the REST channel keeps the
# same limit, so a message means the same on every channel.
MAX_TEXT_CHARS = 4096
# The deepest body a platform sends (a WhatsApp notification: object, entry, changes, value,
# messages, interactive, list_reply) nests 7 levels. 32 leaves room for new fields and stays far
# below Python's recursion limit, so "[[[[..." never reaches code that recurses.
MAX_JSON_DEPTH = 32
# Platform ids are 64-bit at most (19 digits, 20 with a sign). Longer integers are refused: Python
# raises a plain ValueError (not a JSONDecodeError) past 4,300 digits, and turning a long digit
# string into a number, or back into text for a sender id, takes time quadratic in its length.
MAX_JSON_INT_DIGITS = 20

# Characters no id may contain: C0/C1 controls (NUL among them) and unpaired surrogates, which
# a JSON "\ud800" escape can produce and which neither UTF-8 nor PostgreSQL can store.
_UNSAFE_ID_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class RestMessage:
    sender: str
    text: str


@dataclass(frozen=True)
class RequestError:
    status: int
    message: str
    # What was wrong, from a fixed vocabulary ("not_json", "too_deep"...): safe to log, unlike the
    # body. Not part of equality, so tests and callers compare status and message as before.
    kind: str = field(default="invalid", compare=False)


class _NumberTooLong(ValueError):
    """Raised from inside json.loads when an integer literal has too many digits."""


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise _NumberTooLong(literal[:8])
    return int(literal)


def _no_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity are Python extensions, not JSON: no platform sends them.
    raise ValueError(f"{name} is not JSON")


def _deeper_than(value: Any, limit: int) -> bool:
    """True when containers nest more than ``limit`` levels. Level by level, without recursion,
    and in time linear in the number of values (a body is at most a few hundred KB)."""
    level: List[Any] = [value]
    for depth in range(limit + 1):
        containers = [item for item in level if isinstance(item, (dict, list))]
        if not containers:
            return False
        if depth == limit:
            return True
        level = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]
    return True


def load_json(raw: bytes, not_json_message: str) -> Union[Any, RequestError]:
    """The JSON value of ``raw``, or a 400 saying what is wrong. Never raises."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return RequestError(400, not_json_message, "not_utf8")
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except _NumberTooLong:
        return RequestError(
            400, f"Numbers in the body may have at most {MAX_JSON_INT_DIGITS} digits.", "number_too_long"
        )
    except RecursionError:  # nesting deep enough to exhaust the parser's stack
        return RequestError(400, f"The body nests more than {MAX_JSON_DEPTH} levels deep.", "too_deep")
    except ValueError:  # JSONDecodeError, and the NaN/Infinity refusal
        return RequestError(400, not_json_message, "not_json")
    if _deeper_than(value, MAX_JSON_DEPTH):
        return RequestError(400, f"The body nests more than {MAX_JSON_DEPTH} levels deep.", "too_deep")
    return value


def clean_text(text: str) -> str:
    """A user's text as the database and the NLU can take it: NUL characters dropped (PostgreSQL
    refuses them in text) and unpaired surrogates replaced by U+FFFD (they cannot be encoded as
    UTF-8). Never longer than ``text``."""
    return _SURROGATES.sub("\ufffd", text.replace("\x00", ""))


def is_safe_id(value: str) -> bool:
    """An id (sender, message id) that is stored and logged as it is must hold no control
    characters and no unpaired surrogates."""
    return _UNSAFE_ID_CHARS.search(value) is None


REST_NOT_JSON = 'The request body must be JSON: {"sender": "...", "message": "..."}.'


def parse_rest_body(raw: bytes) -> Union[RestMessage, RequestError]:
    """``{"sender": "...", "message": "..."}`` or a polite error with the HTTP status to send."""
    if len(raw) > MAX_BODY_BYTES:
        return RequestError(413, f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.", "too_large")
    body = load_json(raw, REST_NOT_JSON)
    if isinstance(body, RequestError):
        return body
    if not isinstance(body, dict):
        return RequestError(400, "The request body must be a JSON object with 'sender' and 'message'.", "not_an_object")
    # No default sender: every caller without one would share a single conversation (and its
    # report draft). The caller names its conversation, always under rest: (bot/channels/rest.py).
    sender = body.get("sender")
    message = body.get("message")
    if not isinstance(sender, (str, int)) or isinstance(sender, bool) or not str(sender).strip():
        return RequestError(400, "'sender' is required: a non-empty string naming the conversation.", "bad_sender")
    sender_text = str(sender).strip()
    if len(sender_text) > MAX_SENDER_CHARS:
        return RequestError(400, f"'sender' must be at most {MAX_SENDER_CHARS} characters.", "bad_sender")
    if not is_safe_id(sender_text):
        return RequestError(400, "'sender' must not contain control characters.", "bad_sender")
    if not isinstance(message, str):
        return RequestError(400, "'message' must be a string (it may be empty).", "bad_message")
    if len(message) > MAX_TEXT_CHARS:
        return RequestError(400, f"'message' must be at most {MAX_TEXT_CHARS} characters.", "bad_message")
    return RestMessage(sender=sender_text, text=clean_text(message))
