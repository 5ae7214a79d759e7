"""The WhatsApp channel end to end: signed notifications over real HTTP into `python -m bot.serve`
(the trained model, the action server), replies out to the Graph API stand-in.

Conversations persist for the whole session, so each test writes from its own phone number.
Nothing here sleeps: "nothing was sent" is proven by a later image from the same user, which is
queued behind anything still running for that user and answered with the text-only notice.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tests.channels.conftest import (
    REQUIREMENTS_QUESTION_ANSWER,
    WHATSAPP_ACCESS_TOKEN,
    WHATSAPP_APP_SECRET,
    WHATSAPP_PHONE_NUMBER_ID,
    WHATSAPP_VERIFY_TOKEN,
    Stack,
    answer_opening,
    post,
)
from tests.fuzz import samples
from tests.fuzz.samples import WHATSAPP_SAMPLES, Sample
from tests.standins.graph_api import GraphRequest

pytestmark = pytest.mark.conversation

# From content/ui.yml (non_text, English half): the notice for media.
TEXT_ONLY_NOTICE = "I can only read text messages"
# From content/ui.yml (greeting, Indonesian): the answer to the /greet button.
GREETING = "Halo!"
_numbers = itertools.count(1)


# --- building what Meta sends ---------------------------------------------------------------------


def new_user() -> str:
    """A fresh Indonesian mobile number (wa id), unique in this test session."""
    return f"62813{uuid.uuid4().int % 10**6:06d}{next(_numbers):02d}"[:14]


def new_message_id() -> str:
    return f"wamid.HBgN{uuid.uuid4().hex.upper()}"


def message(user: str, kind: str, content: Any, message_id: Optional[str] = None) -> Dict[str, Any]:
    return {"from": user, "id": message_id or new_message_id(), "timestamp": "1767225600", "type": kind, kind: content}


def text_message(user: str, text: str, message_id: Optional[str] = None) -> Dict[str, Any]:
    return message(user, "text", {"body": text}, message_id)


def notification(
    user: str, *messages: Dict[str, Any], statuses: Optional[List[Dict[str, Any]]] = None
) -> Dict[str, Any]:
    value: Dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": WHATSAPP_PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Sari"}, "wa_id": user}],
    }
    if messages:
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }


def signature(raw: bytes, secret: str = WHATSAPP_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_raw(stack: Stack, raw: bytes, signature_header: Optional[str]) -> Tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if signature_header is not None:
        headers["X-Hub-Signature-256"] = signature_header
    return post(stack.whatsapp_webhook, raw, headers)


def send(stack: Stack, body: Dict[str, Any]) -> Tuple[int, str]:
    """POST a notification signed as Meta signs it."""
    raw = json.dumps(body).encode("utf-8")
    return post_raw(stack, raw, signature(raw))


def get(url: str) -> Tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode("utf-8")


# --- waiting for replies --------------------------------------------------------------------------


def texts(calls: List[GraphRequest]) -> List[str]:
    return [call.text for call in calls]


def notices(calls: List[GraphRequest]) -> int:
    return sum(TEXT_ONLY_NOTICE in call.text for call in calls)


def settle(stack: Stack, user: str) -> List[GraphRequest]:
    """Everything delivered to ``user`` once all their earlier messages are answered: an image
    from them is handled after those (one at a time per user) and answered with the notice."""
    before = notices(stack.graph.messages_to(user, delivered_only=True))
    status, _ = send(
        stack, notification(user, message(user, "image", {"id": "1479537139650973", "mime_type": "image/jpeg"}))
    )
    assert status == 200
    calls = stack.graph.wait_until(lambda found: notices(found) > before, to=user, timeout=120)
    return calls[:-1] if TEXT_ONLY_NOTICE in calls[-1].text else calls


def answer_to(stack: Stack, user: str, body: Dict[str, Any]) -> List[str]:
    """Send ``body`` and return the texts of every reply it got."""
    status, reply = send(stack, body)
    assert (status, json.loads(reply)) == (200, {"status": "ok"}), stack.log()[-3000:]
    return texts(settle(stack, user))


# --- the handshake --------------------------------------------------------------------------------


def verification_url(stack: Stack, token: str, challenge: str = "1158201444") -> str:
    query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": challenge})
    return f"{stack.whatsapp_webhook}?{query}"


def test_subscription_handshake_echoes_the_challenge(stack: Stack) -> None:
    status, content_type, body = get(verification_url(stack, WHATSAPP_VERIFY_TOKEN))
    assert (status, body) == (200, "1158201444")
    assert content_type.startswith("text/plain")


def test_subscription_handshake_with_a_wrong_token_is_refused(stack: Stack) -> None:
    status, _, body = get(verification_url(stack, "not-the-token"))
    assert status == 403 and "1158201444" not in body


# --- conversations --------------------------------------------------------------------------------


def test_a_signed_text_message_is_answered_through_the_graph_api(stack: Stack) -> None:
    user = new_user()
    status, reply = send(stack, notification(user, text_message(user, "magang jepang syaratnya apa")))
    assert (status, json.loads(reply)) == (200, {"status": "ok"})
    first = stack.graph.wait_for(1, to=user, timeout=120)[0]
    assert first.path == f"/v21.0/{WHATSAPP_PHONE_NUMBER_ID}/messages"
    assert first.headers["Authorization"] == f"Bearer {WHATSAPP_ACCESS_TOKEN}"
    assert first.status == 200 and first.json["to"] == user
    words = " ".join(texts(settle(stack, user)))
    assert answer_opening(REQUIREMENTS_QUESTION_ANSWER) in words, words


def test_a_pressed_button_is_answered(stack: Stack) -> None:
    user = new_user()
    press = message(user, "interactive", {"type": "button_reply", "button_reply": {"id": "/greet", "title": "Halo"}})
    replies = answer_to(stack, user, notification(user, press))
    assert replies and replies[0].startswith(GREETING), replies


def test_a_redelivered_message_is_answered_once(stack: Stack) -> None:
    user = new_user()
    body = notification(
        user, message(user, "interactive", {"type": "button_reply", "button_reply": {"id": "/greet", "title": "Halo"}})
    )
    assert send(stack, body)[0] == 200
    replies = answer_to(stack, user, body)  # Meta redelivers when our acknowledgement was lost
    assert sum(GREETING in text for text in replies) == 1, replies


def test_two_quick_messages_from_one_user_are_answered_in_order(stack: Stack) -> None:
    user = new_user()
    greet = message(user, "interactive", {"type": "button_reply", "button_reply": {"id": "/greet", "title": "Halo"}})
    assert send(stack, notification(user, greet))[0] == 200
    assert send(stack, notification(user, text_message(user, "magang jepang syaratnya apa")))[0] == 200
    replies = texts(settle(stack, user))
    greetings = [i for i, text in enumerate(replies) if GREETING in text]
    assert greetings == [0] and len(replies) >= 2, replies
    assert answer_opening(REQUIREMENTS_QUESTION_ANSWER) in " ".join(replies[1:]), replies


def test_an_image_gets_the_text_only_notice(stack: Stack) -> None:
    user = new_user()
    status, _ = send(
        stack, notification(user, message(user, "image", {"id": "2754859441498128", "mime_type": "image/jpeg"}))
    )
    assert status == 200
    [notice] = stack.graph.wait_for(1, to=user, timeout=60)
    assert TEXT_ONLY_NOTICE in notice.text and "pesan teks" in notice.text  # both languages


def test_a_rate_limited_reply_is_sent_after_retry_after(stack: Stack) -> None:
    user = new_user()
    stack.graph.fail_next(429, retry_after=1, to=user)
    press = message(user, "interactive", {"type": "button_reply", "button_reply": {"id": "/greet", "title": "Halo"}})
    replies = answer_to(stack, user, notification(user, press))
    assert replies and replies[0].startswith(GREETING), replies
    attempts = stack.graph.messages_to(user)
    assert attempts[0].status == 429 and attempts[1].status == 200
    assert attempts[0].json == attempts[1].json  # the same message, sent again


# --- refused and ignored notifications --------------------------------------------------------------


def test_a_forged_signature_is_refused_and_nothing_is_sent(stack: Stack) -> None:
    user = new_user()
    raw = json.dumps(notification(user, text_message(user, "halo"))).encode()
    status, reply = post_raw(stack, raw, signature(raw, "not-our-app-secret"))
    assert status == 403 and "error" in json.loads(reply)
    assert settle(stack, user) == []


def test_a_missing_signature_is_refused_and_nothing_is_sent(stack: Stack) -> None:
    user = new_user()
    status, reply = post_raw(stack, json.dumps(notification(user, text_message(user, "halo"))).encode(), None)
    assert status == 401 and "error" in json.loads(reply)
    assert settle(stack, user) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'"just a string"',
        b'{"object": "whatsapp_business_account", "entry": "x"}',
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"object": ' + b"9" * 5000 + b"}",
        b'{"object": "page", "entry": []}',
    ],
    ids=["not-json", "string", "entry-not-array", "not-utf8", "nested-100000", "5000-digits", "other-object"],
)
def test_signed_bodies_we_cannot_read_are_acknowledged_not_refused(stack: Stack, raw: bytes) -> None:
    """Meta redelivers anything but a 200 for days: once the signature is right, it is a 200."""
    status, reply = post_raw(stack, raw, signature(raw))
    assert (status, json.loads(reply)) == (200, {"status": "ignored"})


@pytest.mark.parametrize("sample", WHATSAPP_SAMPLES, ids=lambda sample: sample.name)
def test_every_documented_notification_is_acknowledged(stack: Stack, sample: Sample) -> None:
    """Meta's payload examples (tests/fuzz/samples.py), signed and replayed from a fresh number:
    always a 200; notifications with no user message (statuses, errors, reactions...) are
    answered with nothing."""
    user = new_user()
    status, reply = send(stack, sample.body(user, new_message_id(), WHATSAPP_PHONE_NUMBER_ID))
    nothing_usable = not sample.answered and bool(sample.problems)
    assert (status, json.loads(reply)) == (200, {"status": "ignored" if nothing_usable else "ok"}), stack.log()[-2000:]
    if not sample.answered:
        assert settle(stack, user) == []


def test_a_readable_message_beside_a_broken_one_is_still_answered(stack: Stack) -> None:
    user = new_user()
    body = samples.text_with_a_broken_neighbour(user, new_message_id(), WHATSAPP_PHONE_NUMBER_ID)
    assert answer_to(stack, user, body), "the readable message got no reply"


def test_an_oversized_body_gets_a_413_signed_or_not(stack: Stack) -> None:
    user = new_user()
    raw = json.dumps(notification(user, text_message(user, "a " * 150_000))).encode()
    assert post_raw(stack, raw, signature(raw))[0] == 413
    assert post_raw(stack, raw, None)[0] == 413
    assert settle(stack, user) == []


def test_a_status_callback_is_acknowledged_and_not_answered(stack: Stack) -> None:
    user = new_user()
    statuses = [{"id": new_message_id(), "status": "read", "timestamp": "1767225600", "recipient_id": user}]
    status, reply = send(stack, notification(user, statuses=statuses))
    assert (status, json.loads(reply)) == (200, {"status": "ok"})
    assert settle(stack, user) == []
