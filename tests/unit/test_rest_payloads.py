import json

import pytest

from bot.channels.payloads import MAX_BODY_BYTES, RequestError, RestMessage, parse_rest_body


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
