import json

import pytest

from bot.channels.payloads import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_TEXT_CHARS,
    RequestError,
    RestMessage,
    parse_rest_body,
)


def test_a_normal_message() -> None:
    assert parse_rest_body(b'{"sender": "u1", "message": "halo"}') == RestMessage("u1", "halo")


def test_empty_text_is_allowed_and_answered_by_the_bot() -> None:
    assert parse_rest_body(b'{"sender": "u1", "message": ""}') == RestMessage("u1", "")


def test_numeric_sender_is_accepted_as_text() -> None:
    assert parse_rest_body(b'{"sender": 42, "message": "x"}') == RestMessage("42", "x")


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"sender": "u1"}',
        b'{"sender": "u1", "message": null}',
        b'{"sender": "u1", "message": {"text": "hi"}}',
        b'{"sender": "", "message": "hi"}',
        b'{"sender": true, "message": "hi"}',
        json.dumps({"sender": "x" * 500, "message": "hi"}).encode(),
    ],
)
def test_malformed_bodies_get_a_400(raw: bytes) -> None:
    result = parse_rest_body(raw)
    assert isinstance(result, RequestError) and result.status == 400 and result.message


def test_oversized_body_gets_a_413() -> None:
    raw = json.dumps({"sender": "u", "message": "a" * (MAX_BODY_BYTES + 1)}).encode()
    result = parse_rest_body(raw)
    assert isinstance(result, RequestError) and result.status == 413


@pytest.mark.parametrize(
    "raw, kind",
    [
        (b"[" * 60_000, "too_deep"),  # json.loads raises RecursionError on this
        (b'{"sender": "u", "message": "x", "deep": ' + b"[" * 40 + b"]" * 40 + b"}", "too_deep"),
        (b'{"sender": ' + b"1" * 5000 + b', "message": "x"}', "number_too_long"),  # ValueError, not JSONDecodeError
        (b'{"sender": 123456789012345678901, "message": "x"}', "number_too_long"),
        (b'{"sender": "u", "message": NaN}', "not_json"),
        (b"\xef\xbb\xbf{}", "not_json"),
    ],
    ids=["brackets", "deep-field", "5000-digits", "21-digits", "nan", "bom"],
)
def test_hostile_json_gets_a_clear_400_instead_of_an_exception(raw: bytes, kind: str) -> None:
    result = parse_rest_body(raw)
    assert isinstance(result, RequestError) and result.status == 400 and result.kind == kind and result.message


def test_a_body_nested_up_to_the_limit_is_read() -> None:
    extra = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    assert parse_rest_body(f'{{"sender": "u", "message": "x", "extra": {extra}}}'.encode()) == RestMessage("u", "x")


@pytest.mark.parametrize("sender", ["a\x00b", "line\nbreak", "\ud800", "esc\x1b", "\x85"])
def test_senders_with_control_characters_are_refused(sender: str) -> None:
    result = parse_rest_body(json.dumps({"sender": sender, "message": "hi"}).encode())
    assert isinstance(result, RequestError) and result.status == 400 and result.kind == "bad_sender"


def test_text_is_cleaned_for_storage_and_bounded() -> None:
    # NUL is refused by PostgreSQL, a lone surrogate cannot be encoded as UTF-8.
    assert parse_rest_body(json.dumps({"sender": "u", "message": "ha\x00lo \ud83d"}).encode()) == RestMessage(
        "u", "halo \ufffd"
    )
    assert parse_rest_body(json.dumps({"sender": "u", "message": "a" * MAX_TEXT_CHARS}).encode()) == RestMessage(
        "u", "a" * MAX_TEXT_CHARS
    )
    too_long = parse_rest_body(json.dumps({"sender": "u", "message": "a" * (MAX_TEXT_CHARS + 1)}).encode())
    assert isinstance(too_long, RequestError) and too_long.status == 400 and "4096" in too_long.message
