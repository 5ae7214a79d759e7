"""The README's curl example, over real HTTP against the real Rasa server (its actions inside, as under `make run`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Iterator, Tuple

import pytest

from bot.settings import get_settings
from tests.servers import RasaServer, assistant

pytestmark = pytest.mark.conversation


@pytest.fixture(scope="module")
def server() -> Iterator[RasaServer]:
    with assistant(get_settings().model_path) as running:
        yield running


def post_raw(server: RasaServer, body: bytes) -> Tuple[int, dict]:
    request = urllib.request.Request(
        f"{server.base_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_readme_curl_example_is_answered_in_indonesian(server: RasaServer) -> None:
    messages = server.send("readme", "magang jepang brp thn?")
    assert "5 tahun" in messages[0]["text"]
    assert messages[0]["buttons"]


@pytest.mark.parametrize("body", [b"not json", b'{"sender": "x"}', b'{"sender": "x", "message": 5}'])
def test_malformed_bodies_get_a_clear_400(server: RasaServer, body: bytes) -> None:
    status, reply = post_raw(server, body)
    assert status == 400 and "error" in reply


def test_oversized_body_gets_a_413(server: RasaServer) -> None:
    status, reply = post_raw(server, json.dumps({"sender": "x", "message": "a" * 70000}).encode())
    assert status == 413 and "error" in reply
