"""Telegram updates as platform-neutral incoming messages (pure functions, no HTTP).

The body is read with python-telegram-bot's ``Update.de_json``, the same objects the polling mode
and the tests build; the checks here are the ones it does not make (types, lengths, private chats).

Only private chats are served: in a group (the staff alert chat, say) the bot stays silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, TypeGuard, Union

from telegram import CallbackQuery, Chat, Update

from bot.channels.payloads import MAX_TEXT_CHARS, RequestError, clean_text, is_safe_id, load_json
from bot.channels.pipeline import Incoming
from bot.replies import BotMessage, Button

SENDER_PREFIX = "telegram:"
# Updates are small (a message is at most 4,096 characters); anything near this is not Telegram.
MAX_UPDATE_BYTES = 256 * 1024
# Telegram's own limits: callback_data is 1-64 bytes; callback query ids are short numeric strings.
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ID_CHARS = 128
# Chat ids fit in 52 bits (Telegram promises a double can hold them); a bigger number is not a chat.
MAX_CHAT_ID = 2**53
NOT_AN_UPDATE = "The body must be a JSON Telegram update."
NOT_TELEGRAM_SHAPED = "The body is not a Telegram update: a field is missing or has the wrong type."

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
        return RequestError(413, f"The update is larger than {MAX_UPDATE_BYTES // 1024} KB.", "too_large")
    body = load_json(raw, NOT_AN_UPDATE)
    if isinstance(body, RequestError):
        return body
    if not isinstance(body, dict) or not _is_int(body.get("update_id")):
        return RequestError(400, "A Telegram update is a JSON object with an integer update_id.", "not_an_update")
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


def _is_int(value: Any) -> TypeGuard[int]:
    # bool is an int in Python: "chat": {"id": true} must not become the sender "telegram:True".
    return isinstance(value, int) and not isinstance(value, bool)


def _private_chat_id(chat: Optional[Chat]) -> Optional[int]:
    # python-telegram-bot does not check types: the id is whatever the JSON held.
    if chat is None or chat.type != Chat.PRIVATE or not _is_int(chat.id) or not -MAX_CHAT_ID < chat.id < MAX_CHAT_ID:
        return None
    return chat.id


def _user_text(value: Any) -> Optional[str]:
    """Text the user wrote, as the pipeline can store it; None when there is none. Telegram never
    sends more than 4,096 characters, so anything beyond is cut rather than read."""
    if not isinstance(value, str):
        return None
    return clean_text(value[:MAX_TEXT_CHARS])


def _typed_update(update: Mapping[str, Any]) -> Union[Update, RequestError]:
    """The update as python-telegram-bot's objects. ``Update.de_json`` raises whatever the missing
    or mistyped field causes (KeyError, TypeError, OverflowError for a date...): any of them means a
    body Telegram did not send, so it gets a 400 instead of a crash."""
    try:
        return Update.de_json(dict(update), None)
    except Exception:  # noqa: BLE001 - see the docstring: every failure here is a malformed body
        return RequestError(400, NOT_TELEGRAM_SHAPED, "bad_update")


def _button_press(query: CallbackQuery, chooser_text: str) -> Union[TelegramIncoming, Ignored, RequestError]:
    query_id = query.id
    if (
        not isinstance(query_id, str)
        or not query_id
        or len(query_id) > MAX_CALLBACK_ID_CHARS
        or not is_safe_id(query_id)
    ):
        return RequestError(400, "A callback_query needs a short id.", "bad_callback")
    chat_id = _private_chat_id(query.message.chat if query.message is not None else None)
    if chat_id is None:
        return Ignored("button press outside a private chat")
    data = query.data
    if not isinstance(data, str) or not data:
        return Ignored("button press without data")
    if len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_DATA_BYTES or not is_safe_id(data):
        return RequestError(
            400, f"callback_query data is at most {MAX_CALLBACK_DATA_BYTES} bytes of text.", "bad_callback"
        )
    pressed, local = command_text(data, chooser_text) if data.startswith("/lang") else (data, None)
    return TelegramIncoming(
        Incoming(f"cb:{query_id}", f"{SENDER_PREFIX}{chat_id}", pressed, local_reply=local),
        chat_id,
        callback_query_id=query_id,
    )


def update_to_incoming(update: Mapping[str, Any], chooser_text: str) -> Union[TelegramIncoming, Ignored, RequestError]:
    """A message (text, a command or media) or a button press, as one incoming message.

    The de-duplication key is the chat and message id (or the callback id), not the update id:
    Telegram restarts update ids at random after a quiet week, message ids never repeat in a chat.
    """
    # Edits, channel posts, member changes...: ignored before parsing, so a kind of update this
    # version of python-telegram-bot does not know cannot make Telegram redeliver it for ever.
    if "callback_query" not in update and "message" not in update:
        return Ignored("not a new message")
    typed = _typed_update(update)
    if isinstance(typed, RequestError):
        return typed
    if typed.callback_query is not None:
        return _button_press(typed.callback_query, chooser_text)
    message = typed.message
    if message is None:
        return RequestError(400, "'message' must be an object.", "bad_message")
    if not _is_int(message.message_id):
        return RequestError(400, "A message needs an integer message_id.", "bad_message")
    chat_id = _private_chat_id(message.chat)
    if chat_id is None:
        return Ignored("message outside a private chat")
    external_id = f"m:{chat_id}:{message.message_id}"
    sender_id = f"{SENDER_PREFIX}{chat_id}"
    # A photo with a caption: the caption is the user's words (often "is this offer real?").
    text = _user_text(message.text)
    if text is None:
        text = _user_text(message.caption)
    if text is None or not text.strip():
        return TelegramIncoming(Incoming(external_id, sender_id, None), chat_id)
    mapped, local = command_text(text, chooser_text)
    return TelegramIncoming(Incoming(external_id, sender_id, mapped, local_reply=local), chat_id)
