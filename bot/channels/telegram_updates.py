"""Telegram updates as platform-neutral incoming messages (pure functions, no HTTP).

Only private chats are served: in a group (the staff alert chat, say) the bot stays silent.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union

from bot.channels.payloads import RequestError
from bot.channels.pipeline import Incoming
from bot.replies import BotMessage, Button

SENDER_PREFIX = "telegram:"
# Updates are small (a message is at most 4,096 characters); anything near this is not Telegram.
MAX_UPDATE_BYTES = 256 * 1024

# Commands and what they mean to the assistant (an intent payload skips the NLU).
COMMAND_PAYLOADS: Mapping[str, str] = {
    "start": "/greet",
    "help": "/ask_capabilities",
    "lapor": "/report_recruiter",
    "cek": "/check_report_status",
}
# Shown in Telegram's command menu (registered with setMyCommands).
COMMAND_DESCRIPTIONS: Mapping[str, str] = {
    "start": "Mulai / Start",
    "help": "Apa yang bisa dibantu / What I can do",
    "lapor": "Laporkan calo atau agen ilegal / Report a recruiter",
    "cek": "Cek status laporan / Check a report",
    "lang": "Ganti bahasa / Change language",
}
LANGUAGE_BUTTONS = (
    Button("Bahasa Indonesia", '/set_language{"language": "id"}'),
    Button("English", '/set_language{"language": "en"}'),
)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Ignored:
    """A valid update that needs no answer (an edit, a group message, a member change...)."""

    reason: str


@dataclass(frozen=True)
class TelegramIncoming:
    incoming: Incoming
    chat_id: int
    callback_query_id: Optional[str] = None


def parse_update_body(raw: bytes) -> Union[Mapping[str, Any], RequestError]:
    if len(raw) > MAX_UPDATE_BYTES:
        return RequestError(413, f"The update is larger than {MAX_UPDATE_BYTES // 1024} KB.")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return RequestError(400, "The body must be a JSON Telegram update.")
    if not isinstance(body, dict) or not isinstance(body.get("update_id"), int) or isinstance(body.get("update_id"), bool):
        return RequestError(400, "A Telegram update is a JSON object with an integer update_id.")
    return body


def command_text(text: str, chooser_text: str) -> tuple[str, Optional[BotMessage]]:
    """What a typed command means: the text for the assistant, or a local reply (``/lang``).
    Text that is not a command is returned unchanged."""
    match = _COMMAND.match(text.strip())
    if not match:
        return text, None
    command, argument = match.group(1).lower(), (match.group(2) or "").strip().lower()
    if command == "lang":
        if argument[:2] in ("id", "en"):
            return f'/set_language{{"language": "{argument[:2]}"}}', None
        return text, BotMessage(text=chooser_text, buttons=LANGUAGE_BUTTONS)
    if command in COMMAND_PAYLOADS:
        return COMMAND_PAYLOADS[command], None
    # "/something_else" would be read as an unknown intent: treat it as a request for help.
    return COMMAND_PAYLOADS["help"], None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _private_chat_id(message: Mapping[str, Any]) -> Optional[int]:
    chat = _dict(message.get("chat"))
    chat_id = chat.get("id")
    if chat.get("type") != "private" or not isinstance(chat_id, int):
        return None
    return chat_id


def update_to_incoming(update: Mapping[str, Any], chooser_text: str) -> Union[TelegramIncoming, Ignored, RequestError]:
    """A message (text, a command or media) or a button press, as one incoming message.

    The de-duplication key is the chat and message id (or the callback id), not the update id:
    Telegram restarts update ids at random after a quiet week, message ids never repeat in a chat.
    """
    if "callback_query" in update:
        query = _dict(update.get("callback_query"))
        message = _dict(query.get("message"))
        chat_id = _private_chat_id(message)
        if not isinstance(query.get("id"), str) or not query.get("id"):
            return RequestError(400, "A callback_query needs an id.")
        if chat_id is None:
            return Ignored("button press outside a private chat")
        data = query.get("data")
        if not isinstance(data, str) or not data:
            return Ignored("button press without data")
        text, local = command_text(data, chooser_text) if data.startswith("/lang") else (data, None)
        return TelegramIncoming(Incoming(f"cb:{query['id']}", f"{SENDER_PREFIX}{chat_id}", text, local_reply=local),
                                chat_id, callback_query_id=query["id"])
    if "message" not in update:
        return Ignored("not a new message")
    message = update.get("message")
    if not isinstance(message, dict):
        return RequestError(400, "'message' must be an object.")
    chat_id = _private_chat_id(message)
    message_id = message.get("message_id")
    if not isinstance(message_id, int):
        return RequestError(400, "A message needs an integer message_id.")
    if chat_id is None:
        return Ignored("message outside a private chat")
    external_id = f"m:{chat_id}:{message_id}"
    sender_id = f"{SENDER_PREFIX}{chat_id}"
    # A photo with a caption: the caption is the user's words (often "is this offer real?").
    text = message.get("text") if isinstance(message.get("text"), str) else message.get("caption")
    if not isinstance(text, str) or not text.strip():
        return TelegramIncoming(Incoming(external_id, sender_id, None), chat_id)
    mapped, local = command_text(text, chooser_text)
    return TelegramIncoming(Incoming(external_id, sender_id, mapped, local_reply=local), chat_id)
