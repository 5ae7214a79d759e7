"""HTTP fuzzing of the running webhooks: hundreds of generated bodies (random bytes, random and
absurdly nested JSON, near-valid platform bodies with fields mutated; tests/fuzz/strategies.py)
POSTed over real HTTP to `python -m bot.serve` with the trained model, as tests/channels starts it
(Telegram and WhatsApp configured against local stand-ins, PostgreSQL, Redis).

Whatever arrives, no webhook may answer with a 5xx, and every answer is JSON: an error answer
(4xx) says what was wrong in ``{"error": ...}``. Signed WhatsApp notifications are always
acknowledged with a 200 (Meta redelivers anything else for days), unsigned ones refused.
The cases tried are counted with the parser fuzzing's (tests/fuzz/cases.py).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import importlib
import json
import urllib.parse
from typing import Dict, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram import SECRET_HEADER
from tests.channels.conftest import (
    TELEGRAM_SECRET,
    WHATSAPP_APP_SECRET,
    WHATSAPP_PHONE_NUMBER_ID,
    Stack,
    post,
)
from tests.fuzz import samples
from tests.fuzz.cases import CASES
from tests.fuzz.strategies import json_bodies, near_valid, raw_bytes

pytestmark = pytest.mark.conversation

# 3 strategies x 60 = 180 bodies per webhook (and per signing mode), every run the same ones.
HTTP_FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
STRATEGIES = {
    "bytes": raw_bytes,
    "json": json_bodies(),
    "rest_near_valid": near_valid(samples.rest_samples()),
    "telegram_near_valid": near_valid(samples.telegram_samples()),
    "whatsapp_near_valid": near_valid(
        [sample.body(phone_number_id=WHATSAPP_PHONE_NUMBER_ID) for sample in samples.WHATSAPP_SAMPLES]
    ),
}
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)


@pytest.fixture(scope="module", autouse=True)
def case_summary(request: pytest.FixtureRequest) -> None:
    """The terminal summary of cases tried lives in tests/fuzz/conftest.py; when only this module
    runs, that conftest is not loaded, so register it here (once)."""
    plugin = importlib.import_module("tests.fuzz.conftest")
    manager = request.config.pluginmanager
    if not manager.is_registered(plugin):
        manager.register(plugin, "tests-fuzz-cases")


def check_answer(where: str, status: int, text: str) -> object:
    assert status < 500, (where, status, text[:300])
    try:
        body = json.loads(text)
    except ValueError:
        raise AssertionError(f"{where}: {status} answer is not JSON: {text[:300]!r}") from None
    if status >= 400:
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], (where, status, body)
    return body


def send(url: str, raw: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
    return post(url, raw, headers, timeout=60)


def send_oversized(url: str, raw: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
    """Post a body the server refuses part-way: Sanic answers 413 and closes while the rest is still
    being sent, so the client may see a broken pipe before it reads that answer (urllib gives up)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.putrequest("POST", parts.path)
        for name, value in {**headers, "Content-Length": str(len(raw))}.items():
            connection.putheader(name, value)
        connection.endheaders()
        try:
            connection.send(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-body: the answer is already waiting
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


# --- REST ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["bytes", "json", "rest_near_valid"])
def test_rest_webhook_answers_any_body_without_a_server_error(stack: Stack, strategy: str) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"

    @HTTP_FUZZ
    @given(raw=STRATEGIES[strategy], content_type=CONTENT_TYPES)
    def run(raw: bytes, content_type: str) -> None:
        CASES.hit("http_rest_webhook", strategy)
        status, text = send(url, raw, {"Content-Type": content_type} if content_type else {})
        body = check_answer("rest", status, text)
        if status == 200:
            assert isinstance(body, list)

    run()


# --- Telegram -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["bytes", "json", "telegram_near_valid"])
def test_telegram_webhook_answers_any_update_without_a_server_error(stack: Stack, strategy: str) -> None:
    @HTTP_FUZZ
    @given(raw=STRATEGIES[strategy], content_type=CONTENT_TYPES)
    def run(raw: bytes, content_type: str) -> None:
        CASES.hit("http_telegram_webhook", strategy)
        headers = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": content_type or "application/json"}
        status, text = send(stack.telegram_webhook, raw, headers)
        check_answer("telegram", status, text)

    run()


@settings(HTTP_FUZZ, max_examples=30)
@given(
    raw=raw_bytes | near_valid(samples.telegram_samples()),
    secret=st.none() | st.sampled_from(["", "wrong", TELEGRAM_SECRET + "x", TELEGRAM_SECRET[:-1]]),
)
def test_telegram_webhook_refuses_updates_without_the_secret(stack: Stack, raw: bytes, secret: Optional[str]) -> None:
    CASES.hit("http_telegram_webhook", "without_secret")
    status, text = send(stack.telegram_webhook, raw, {} if secret is None else {SECRET_HEADER: secret})
    check_answer("telegram", status, text)
    assert status in (401, 403), status


# --- WhatsApp -----------------------------------------------------------------------------------------


def signature(raw: bytes) -> str:
    return "sha256=" + hmac.new(WHATSAPP_APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("strategy", ["bytes", "json", "whatsapp_near_valid"])
def test_whatsapp_webhook_acknowledges_any_signed_notification(stack: Stack, strategy: str) -> None:
    @HTTP_FUZZ
    @given(raw=STRATEGIES[strategy])
    def run(raw: bytes) -> None:
        CASES.hit("http_whatsapp_webhook", f"signed {strategy}")
        status, text = send(
            stack.whatsapp_webhook, raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature(raw)}
        )
        check_answer("whatsapp", status, text)
        if len(raw) <= 256 * 1024:
            assert status == 200, (status, text)  # anything else and Meta redelivers for days

    run()


@settings(HTTP_FUZZ, max_examples=60)
@given(
    raw=raw_bytes | STRATEGIES["whatsapp_near_valid"],
    header=st.none()
    | st.sampled_from(["", "sha256=", "sha1=abc", "sha256=" + "0" * 64, "sha256=zz"])
    | st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80),
)
def test_whatsapp_webhook_refuses_unsigned_or_forged_notifications(
    stack: Stack, raw: bytes, header: Optional[str]
) -> None:
    CASES.hit("http_whatsapp_webhook", "unsigned or forged")
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Hub-Signature-256"] = header  # http.client sends it as Latin-1
    status, text = send(stack.whatsapp_webhook, raw, headers)
    check_answer("whatsapp", status, text)
    assert status in (401, 403, 413), status


@pytest.mark.parametrize("webhook", ["rest", "telegram", "whatsapp"])
def test_a_body_past_the_servers_own_limit_gets_a_json_413(stack: Stack, webhook: str) -> None:
    """Past 1 MB Sanic refuses the body itself (bot/serve.py), before any channel code runs: still a
    4xx with a JSON body."""
    raw = b'{"message": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    url = {
        "rest": f"{stack.rasa_url}/webhooks/rest/webhook",
        "telegram": stack.telegram_webhook,
        "whatsapp": stack.whatsapp_webhook,
    }[webhook]
    headers = {
        "Content-Type": "application/json",
        SECRET_HEADER: TELEGRAM_SECRET,
        "X-Hub-Signature-256": signature(raw),
    }
    CASES.hit(f"http_{webhook}_webhook", "oversized")
    status, text = send_oversized(url, raw, headers)
    assert status == 413, (status, text[:300])
    # Sanic's own JSON error, {"description", "status", "message"}, not the channels' {"error"}.
    body = json.loads(text)
    assert body["status"] == 413 and "Request body exceeds the size limit" in body["message"], body
