"""Telegram updates → incoming messages (pure)."""
from __future__ import annotations

import json

from bot.channels.telegram import secret_matches
from bot.channels.telegram_updates import (
    Ignored,
    TelegramIncoming,
    RequestError,
    command_text,
    parse_update_body,
    update_to_incoming,
)

CHOOSER = "Pilih bahasa / Choose a language"
PRIVATE = {"id": 42, "type": "private"}


def message(**fields):
    return {"update_id": 10, "message": {"message_id": 7, "date": 0, "chat": PRIVATE, **fields}}


def test_text_message() -> None:
    parsed = update_to_incoming(message(text="magang brp thn"), CHOOSER)
    assert isinstance(parsed, TelegramIncoming)
    assert parsed.incoming.text == "magang brp thn"
    assert parsed.incoming.sender_id == "telegram:42" and parsed.incoming.external_id == "m:42:7"


def test_commands() -> None:
    assert command_text("/start", CHOOSER) == ("/greet", None)
    assert command_text("/start ref123", CHOOSER) == ("/greet", None)
    assert command_text("/help@pandu_bot", CHOOSER) == ("/ask_capabilities", None)
    assert command_text("/lapor", CHOOSER) == ("/report_recruiter", None)
    assert command_text("/cek", CHOOSER) == ("/check_report_status", None)
    assert command_text("/lang en", CHOOSER) == ('/set_language{"language": "en"}', None)
    assert command_text("/unknown", CHOOSER) == ("/ask_capabilities", None)
    assert command_text("halo /start", CHOOSER) == ("halo /start", None)
    text, chooser = command_text("/lang", CHOOSER)
    assert chooser is not None and chooser.text == CHOOSER and len(chooser.buttons) == 2


def test_button_press() -> None:
    update = {"update_id": 11, "callback_query": {"id": "cb1", "from": {"id": 42}, "data": "/affirm",
                                                   "message": {"message_id": 3, "chat": PRIVATE}}}
    parsed = update_to_incoming(update, CHOOSER)
    assert isinstance(parsed, TelegramIncoming)
    assert parsed.incoming.text == "/affirm" and parsed.callback_query_id == "cb1"
    assert parsed.incoming.external_id == "cb:cb1"


def test_media_and_captions() -> None:
    photo = update_to_incoming(message(photo=[{"file_id": "x"}]), CHOOSER)
    assert isinstance(photo, TelegramIncoming) and photo.incoming.text is None
    captioned = update_to_incoming(message(photo=[{"file_id": "x"}], caption="ini asli?"), CHOOSER)
    assert captioned.incoming.text == "ini asli?"


def test_ignored_updates() -> None:
    assert isinstance(update_to_incoming({"update_id": 1, "edited_message": {}}, CHOOSER), Ignored)
    group = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": -5, "type": "group"}, "text": "hi"}}
    assert isinstance(update_to_incoming(group, CHOOSER), Ignored)


def test_malformed_updates() -> None:
    assert parse_update_body(b"{oops") == RequestError(400, "The body must be a JSON Telegram update.")
    assert isinstance(parse_update_body(b'{"update_id": "1"}'), RequestError)
    assert isinstance(parse_update_body(b'{"update_id": true}'), RequestError)
    assert parse_update_body(json.dumps({"update_id": 1, "x": "y" * 300_000}).encode()).status == 413
    assert isinstance(update_to_incoming({"update_id": 1, "message": "hi"}, CHOOSER), RequestError)
    assert isinstance(update_to_incoming({"update_id": 1, "message": {"chat": PRIVATE}}, CHOOSER), RequestError)
    assert isinstance(update_to_incoming({"update_id": 1, "callback_query": {"data": "/x"}}, CHOOSER), RequestError)


def test_secret_comparison() -> None:
    assert secret_matches("abc", "abc")
    assert not secret_matches("abd", "abc") and not secret_matches("", "abc") and not secret_matches(None, "abc")
    assert not secret_matches("abc", "")
