"""Telegram updates → incoming messages (pure)."""

from __future__ import annotations

import json

import pytest

from bot.channels.payloads import MAX_TEXT_CHARS
from bot.channels.telegram import secret_matches
from bot.channels.telegram_updates import (
    Ignored,
    RequestError,
    TelegramIncoming,
    command_text,
    parse_update_body,
    update_to_incoming,
)

CHOOSER = "Pilih bahasa / Choose a language"
PRIVATE = {"id": 42, "type": "private"}
USER = {"id": 42, "is_bot": False, "first_name": "Sari"}
# Shaped as Telegram sends them: python-telegram-bot's Update.de_json needs the required fields.
PHOTO = [{"file_id": "x", "file_unique_id": "u", "width": 90, "height": 60}]


def pressed(**fields):
    return {
        "id": "cb1",
        "from": USER,
        "chat_instance": "77",
        "message": {"message_id": 3, "date": 1, "chat": PRIVATE},
        **fields,
    }


def message(**fields):
    return {"update_id": 10, "message": {"message_id": 7, "date": 1764748800, "chat": PRIVATE, "from": USER, **fields}}


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
    update = {
        "update_id": 11,
        "callback_query": pressed(data="/affirm"),
    }
    parsed = update_to_incoming(update, CHOOSER)
    assert isinstance(parsed, TelegramIncoming)
    assert parsed.incoming.text == "/affirm" and parsed.callback_query_id == "cb1"
    assert parsed.incoming.external_id == "cb:cb1"


def test_media_and_captions() -> None:
    photo = update_to_incoming(message(photo=PHOTO), CHOOSER)
    assert isinstance(photo, TelegramIncoming) and photo.incoming.text is None
    captioned = update_to_incoming(message(photo=PHOTO, caption="ini asli?"), CHOOSER)
    assert captioned.incoming.text == "ini asli?"


def test_ignored_updates() -> None:
    assert isinstance(update_to_incoming({"update_id": 1, "edited_message": {}}, CHOOSER), Ignored)
    group = {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": -5, "type": "group"}, "text": "hi"}}
    assert isinstance(update_to_incoming(group, CHOOSER), Ignored)


def test_malformed_updates() -> None:
    assert parse_update_body(b"{oops") == RequestError(400, "The body must be a JSON Telegram update.")
    assert isinstance(parse_update_body(b'{"update_id": "1"}'), RequestError)
    assert isinstance(parse_update_body(b'{"update_id": true}'), RequestError)
    assert parse_update_body(json.dumps({"update_id": 1, "x": "y" * 300_000}).encode()).status == 413
    for body in (
        {"update_id": 1, "message": "hi"},
        {"update_id": 1, "message": {"chat": PRIVATE}},  # no message_id, no date
        {"update_id": 1, "message": {"message_id": 1, "date": 10**20, "chat": PRIVATE}},  # no such time
        {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": []}},
        {"update_id": 1, "callback_query": {"data": "/x"}},
        {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": PRIVATE, "photo": [{"file_id": "x"}]}},
    ):
        result = update_to_incoming(body, CHOOSER)
        assert isinstance(result, RequestError) and result.status == 400, body
        assert result.kind == "bad_update" and "not a Telegram update" in result.message


def test_secret_comparison() -> None:
    assert secret_matches("abc", "abc")
    assert not secret_matches("abd", "abc") and not secret_matches("", "abc") and not secret_matches(None, "abc")
    assert not secret_matches("abc", "")


@pytest.mark.parametrize(
    "raw, kind",
    [
        (b"[" * 100_000, "too_deep"),  # json.loads raises RecursionError on this
        (b'{"update_id": 1, "message": ' + b"[" * 40 + b"]" * 40 + b"}", "too_deep"),
        (b'{"update_id": ' + b"1" * 5000 + b"}", "number_too_long"),  # a ValueError, not a JSONDecodeError
        (b'{"update_id": 1, "x": Infinity}', "not_json"),
        (b"\xc3\x28", "not_utf8"),
    ],
    ids=["brackets", "deep-field", "5000-digits", "infinity", "bad-utf8"],
)
def test_hostile_json_gets_a_clear_400_instead_of_an_exception(raw: bytes, kind: str) -> None:
    result = parse_update_body(raw)
    assert isinstance(result, RequestError) and result.status == 400 and result.kind == kind and result.message


def test_booleans_are_not_ids() -> None:
    assert isinstance(parse_update_body(b'{"update_id": false}'), RequestError)
    chat_true = {
        "update_id": 1,
        "message": {"message_id": 7, "date": 1, "chat": {"id": True, "type": "private"}, "text": "hi"},
    }
    assert isinstance(update_to_incoming(chat_true, CHOOSER), Ignored)
    message_id_true = {"update_id": 1, "message": {"message_id": True, "date": 1, "chat": PRIVATE, "text": "hi"}}
    assert isinstance(update_to_incoming(message_id_true, CHOOSER), RequestError)


def test_a_chat_id_beyond_telegrams_range_is_not_a_chat() -> None:
    huge = {
        "update_id": 1,
        "message": {"message_id": 7, "date": 1, "chat": {"id": 10**19, "type": "private"}, "text": "hi"},
    }
    assert isinstance(update_to_incoming(huge, CHOOSER), Ignored)


def test_text_and_captions_are_cut_to_telegrams_limit_and_cleaned_for_storage() -> None:
    long = update_to_incoming(message(text="a" * 10_000), CHOOSER)
    assert isinstance(long, TelegramIncoming) and long.incoming.text == "a" * MAX_TEXT_CHARS
    dirty = update_to_incoming(message(caption="ha\x00lo \ud83d"), CHOOSER)
    assert isinstance(dirty, TelegramIncoming) and dirty.incoming.text == "halo \ufffd"


@pytest.mark.parametrize(
    "query",
    [
        pressed(data="/x" * 40),  # over 64 bytes
        pressed(data="/affirm\x00"),
        pressed(id="c\nb", data="/affirm"),
        pressed(id="9" * 500, data="/affirm"),
    ],
)
def test_button_presses_telegram_could_not_have_sent_are_refused(query) -> None:
    result = update_to_incoming({"update_id": 1, "callback_query": query}, CHOOSER)
    assert isinstance(result, RequestError) and result.status == 400
