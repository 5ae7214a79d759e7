"""Validation of incoming webhook bodies, as plain functions (no web framework)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Union

# Generous for a chat message (the NLU reads only the first 1,000 characters anyway).
MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128


@dataclass(frozen=True)
class RestMessage:
    sender: str
    text: str


@dataclass(frozen=True)
class RequestError:
    status: int
    message: str


def parse_rest_body(raw: bytes) -> Union[RestMessage, RequestError]:
    """``{"sender": "...", "message": "..."}`` or a polite error with the HTTP status to send."""
    if len(raw) > MAX_BODY_BYTES:
        return RequestError(413, f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return RequestError(400, "The request body must be JSON: {\"sender\": \"...\", \"message\": \"...\"}.")
    if not isinstance(body, dict):
        return RequestError(400, "The request body must be a JSON object with 'sender' and 'message'.")
    sender = body.get("sender", "default")
    message = body.get("message")
    if not isinstance(sender, (str, int)) or isinstance(sender, bool) or not str(sender).strip():
        return RequestError(400, "'sender' must be a non-empty string.")
    if len(str(sender)) > MAX_SENDER_CHARS:
        return RequestError(400, f"'sender' must be at most {MAX_SENDER_CHARS} characters.")
    if not isinstance(message, str):
        return RequestError(400, "'message' must be a string (it may be empty).")
    return RestMessage(sender=str(sender).strip(), text=message)
