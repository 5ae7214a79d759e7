"""The WhatsApp channel without a Rasa server: signature, handshake, parsing and the 24-hour rule
as pure functions, and WhatsAppOutput against the Graph API stand-in in this process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterator, List, Optional

import httpx
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.delivery import DeliveryFailed
from bot.channels.payloads import MAX_JSON_DEPTH, MAX_TEXT_CHARS, RequestError
from bot.channels.pipeline import Incoming
from bot.channels.whatsapp import (
    WhatsAppInput,
    WhatsAppOutput,
    send_outside_conversation,
)
from bot.channels.whatsapp_events import (
    MAX_MESSAGES_PER_NOTIFICATION,
    ROUTE_NEEDS_TEMPLATE,
    ROUTE_SESSION,
    ROUTE_TEMPLATE,
    WHATSAPP_MAX_BODY_BYTES,
    Notification,
    body_too_large,
    decode_json,
    outside_conversation_route,
    parse_webhook,
    problem_summary,
    read_notification,
    verify_signature,
    verify_subscription,
    whatsapp_recipient,
    window_open,
)
from bot.replies import BotMessage, Button
from bot.storage.db import transaction
from bot.storage.inbox import accept_message
from bot.storage.models import InboxMessage, utcnow
from tests.fuzz import samples
from tests.fuzz.samples import WHATSAPP_SAMPLES, Sample
from tests.servers import free_port
from tests.standins.graph_api import GraphApiStandIn

SECRET = "app-secret-for-unit-tests"
PHONE_NUMBER_ID = "109876543210"
TOKEN = "EAAG-unit-test-token"
USER = "6281234567890"


# --- notification builders ------------------------------------------------------------------------


def notification(
    *messages: Dict[str, Any],
    statuses: Optional[List[Dict[str, Any]]] = None,
    phone_number_id: Optional[str] = PHONE_NUMBER_ID,
    field: str = "messages",
) -> Dict[str, Any]:
    value: Dict[str, Any] = {
        "messaging_product": "whatsapp",
        "contacts": [{"profile": {"name": "Sari"}, "wa_id": USER}],
    }
    if phone_number_id is not None:
        value["metadata"] = {"display_phone_number": "15550001111", "phone_number_id": phone_number_id}
    if messages:
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-1", "changes": [{"field": field, "value": value}]}],
    }


def message(kind: str, content: Any = None, message_id: str = "wamid.A1", sender: str = USER) -> Dict[str, Any]:
    body: Dict[str, Any] = {"from": sender, "id": message_id, "timestamp": "1767225600", "type": kind}
    if content is not None:
        body[kind] = content
    return body


def text(body: str, message_id: str = "wamid.A1") -> Dict[str, Any]:
    return message("text", {"body": body}, message_id)


def sign(raw: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


# --- signature -----------------------------------------------------------------------------------


def test_a_genuine_signature_is_accepted() -> None:
    raw = json.dumps(notification(text("halo"))).encode()
    assert verify_signature(raw, sign(raw), SECRET)
    assert verify_signature(raw, sign(raw).upper().replace("SHA256=", "sha256="), SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=abc",
        "deadbeef",
        "sha256=" + "0" * 64,
        "sha256=ü" + "0" * 63,
    ],
)
def test_missing_or_malformed_signatures_are_refused(header: Optional[str]) -> None:
    assert not verify_signature(b'{"object": "x"}', header, SECRET)


def test_a_signature_made_with_another_secret_or_over_other_bytes_is_refused() -> None:
    raw = json.dumps(notification(text("halo"))).encode()
    assert not verify_signature(raw, sign(raw, "someone-elses-secret"), SECRET)
    assert not verify_signature(raw + b" ", sign(raw), SECRET)  # the raw bytes count, not the JSON


def test_no_signature_is_valid_without_an_app_secret() -> None:
    assert not verify_signature(b"{}", sign(b"{}", ""), "")


# --- handshake, size, JSON -----------------------------------------------------------------------


def test_subscription_handshake_echoes_the_challenge_for_our_token() -> None:
    result = verify_subscription("subscribe", "verify-me", "1158201444", "verify-me")
    assert (result.status, result.text) == (200, "1158201444")


@pytest.mark.parametrize(
    "mode, token, challenge, status",
    [
        ("subscribe", "wrong", "123", 403),
        ("subscribe", None, "123", 400),
        (None, "verify-me", "123", 400),
        ("subscribe", "verify-me", None, 400),
        ("unsubscribe", "verify-me", "123", 400),
        ("subscribe", "verify-me", "9" * 1000, 400),
    ],
)
def test_subscription_handshake_refusals(
    mode: Optional[str], token: Optional[str], challenge: Optional[str], status: int
) -> None:
    assert verify_subscription(mode, token, challenge, "verify-me").status == status


def test_body_size_limit_uses_the_body_and_the_declared_length() -> None:
    assert not body_too_large(b"x" * WHATSAPP_MAX_BODY_BYTES, None)
    assert body_too_large(b"x" * (WHATSAPP_MAX_BODY_BYTES + 1), None)
    assert body_too_large(b"{}", str(WHATSAPP_MAX_BODY_BYTES + 1))
    assert not body_too_large(b"{}", "not a number")


@pytest.mark.parametrize(
    "raw, kind",
    [
        (b"not json", "not_json"),
        (b"\xff\xfe", "not_utf8"),
        (b"", "not_json"),
        (b"NaN", "not_json"),
        (b"[" * 100_000, "too_deep"),
        (b"[" * 33 + b"]" * 33, "too_deep"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "too_deep"),
        (b"1" * 5000, "number_too_long"),
        (b'{"entry": [' + b"9" * 21 + b"]}", "number_too_long"),
    ],
)
def test_bodies_that_are_not_json_give_400_with_their_kind(raw: bytes, kind: str) -> None:
    result = decode_json(raw)
    assert isinstance(result, RequestError) and result.status == 400 and result.kind == kind
    assert read_notification(raw, PHONE_NUMBER_ID) == Notification(problems=(kind,))


def test_nesting_up_to_the_limit_is_still_json() -> None:
    assert not isinstance(decode_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH), RequestError)


# --- parsing -------------------------------------------------------------------------------------


def only(body: Dict[str, Any]) -> Incoming:
    notification = parse_webhook(body, PHONE_NUMBER_ID)
    assert len(notification.messages) == 1 and notification.problems == (), notification
    return notification.messages[0]


def test_a_text_message_becomes_an_incoming_message() -> None:
    assert only(notification(text("magang jepang syaratnya apa"))) == Incoming(
        external_id="wamid.A1", sender_id="whatsapp:" + USER, text="magang jepang syaratnya apa", metadata=None
    )


@pytest.mark.parametrize("sample", WHATSAPP_SAMPLES, ids=lambda sample: sample.name)
def test_every_documented_notification_is_read_as_meta_means_it(sample: Sample) -> None:
    result = parse_webhook(sample.body(), samples.PHONE_NUMBER_ID)
    assert sorted(result.problems) == sorted(sample.problems)
    if sample.answered:
        [item] = result.messages
        assert item == Incoming(samples.MESSAGE_ID, "whatsapp:" + samples.USER, sample.text)
    else:
        assert result.messages == ()


@pytest.mark.parametrize("reply_type", ["button_reply", "list_reply"])
def test_a_pressed_button_or_chosen_row_gives_our_payload(reply_type: str) -> None:
    content = {"type": reply_type, reply_type: {"id": "/report_recruiter", "title": "Laporkan"}}
    assert only(notification(message("interactive", content))).text == "/report_recruiter"


def test_a_template_quick_reply_gives_its_payload_or_else_its_label() -> None:
    assert only(notification(message("button", {"payload": "/greet", "text": "Halo"}))).text == "/greet"
    assert only(notification(message("button", {"text": "Halo"}))).text == "Halo"


@pytest.mark.parametrize(
    "kind",
    [
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "unsupported",
        "order",
        "some_future_type",
    ],
)
def test_media_and_unknown_types_are_messages_without_text(kind: str) -> None:
    item = only(notification(message(kind, {"id": "media-1"})))
    assert item.text is None and item.sender_id == "whatsapp:" + USER


def test_an_interactive_answer_that_is_not_a_button_or_row_has_no_text() -> None:
    assert only(notification(message("interactive", {"type": "nfm_reply", "nfm_reply": {}}))).text is None


@pytest.mark.parametrize(
    "kind, content",
    [
        ("reaction", {"message_id": "wamid.OURS", "emoji": "👍"}),
        ("system", {"body": "User changed number", "type": "user_changed_number"}),
    ],
)
def test_reactions_and_system_notices_are_not_answered(kind: str, content: Dict[str, Any]) -> None:
    assert parse_webhook(notification(message(kind, content)), PHONE_NUMBER_ID) == Notification()


def test_status_callbacks_are_acknowledged_and_ignored() -> None:
    statuses = [{"id": "wamid.OURS", "status": "delivered", "timestamp": "1767225600", "recipient_id": USER}]
    assert parse_webhook(notification(statuses=statuses), PHONE_NUMBER_ID) == Notification()


def test_changes_for_another_phone_number_or_another_field_are_ignored() -> None:
    assert parse_webhook(notification(text("halo"), phone_number_id="999"), PHONE_NUMBER_ID) == Notification()
    assert parse_webhook(notification(text("halo"), field="account_update"), PHONE_NUMBER_ID) == Notification(
        problems=("other_field",)
    )
    # Without metadata there is nothing to compare: the message is ours.
    assert only(notification(text("halo"), phone_number_id=None)).text == "halo"


def test_several_messages_keep_their_order() -> None:
    body = notification(text("satu", "wamid.1"), message("image", {}, "wamid.2"), text("tiga", "wamid.3"))
    items = parse_webhook(body, PHONE_NUMBER_ID).messages
    assert [(i.external_id, i.text) for i in items] == [("wamid.1", "satu"), ("wamid.2", None), ("wamid.3", "tiga")]


def _with_value(**changes: Any) -> Dict[str, Any]:
    body = notification(text("halo"))
    body["entry"][0]["changes"][0]["value"].update(changes)
    return body


def _with_message(**changes: Any) -> Dict[str, Any]:
    body = notification(text("halo"))
    body["entry"][0]["changes"][0]["value"]["messages"][0].update(changes)
    return body


@pytest.mark.parametrize(
    "body, problem",
    [
        ("a string", "not_an_object"),
        ([], "not_an_object"),
        (None, "not_an_object"),
        ({"entry": []}, "not_whatsapp_business_account"),
        ({"object": "page", "entry": []}, "not_whatsapp_business_account"),
        ({"object": "whatsapp_business_account", "entry": "x"}, "malformed_entry"),
        ({"object": "whatsapp_business_account", "entry": ["x"]}, "malformed_entry"),
        ({"object": "whatsapp_business_account", "entry": [{"changes": "x"}]}, "malformed_change"),
        ({"object": "whatsapp_business_account", "entry": [{"changes": [5]}]}, "malformed_change"),
        (
            {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": "x"}]}]},
            "malformed_value",
        ),
        (_with_value(metadata="x"), "malformed_value"),
        (_with_value(metadata={"phone_number_id": [1]}), "malformed_value"),
        (_with_value(messages="x"), "malformed_message"),
        (_with_value(messages=["x"]), "malformed_message"),
        (_with_value(statuses="x", messages=[]), "malformed_status"),
        (_with_value(statuses=[7], messages=[]), "malformed_status"),
        (_with_value(errors="x", messages=[]), "errors"),
        (_with_value(errors=[{"code": "big"}], messages=[]), "errors"),
        (_with_value(errors=[{"code": 10**12}], messages=[]), "errors"),
        (_with_message(**{"from": None}), "malformed_message"),
        (_with_message(**{"from": ""}), "malformed_message"),
        (_with_message(id=5), "malformed_message"),
        (_with_message(type=["text"]), "malformed_message"),
        (_with_message(**{"from": "6" * 500}), "malformed_message"),
        (_with_message(**{"from": "62 812\n"}), "malformed_message"),
        (_with_message(id="wamid.\x00"), "malformed_message"),
        (_with_message(text="x"), "malformed_message"),
        (_with_message(text={"body": 5}), "malformed_message"),
        (_with_message(text={}), "malformed_message"),
        (_with_message(type="interactive", interactive="x"), "malformed_message"),
        (
            _with_message(type="interactive", interactive={"type": "button_reply", "button_reply": "x"}),
            "malformed_message",
        ),
        (
            _with_message(type="interactive", interactive={"type": "button_reply", "button_reply": {"id": ""}}),
            "malformed_message",
        ),
        (
            _with_message(type="interactive", interactive={"type": "list_reply", "list_reply": {"id": "/x" * 200}}),
            "malformed_message",
        ),
        (_with_message(type="button", button={}), "malformed_message"),
        (_with_message(type="button", button="x"), "malformed_message"),
    ],
)
def test_unusable_shapes_are_noted_by_kind_not_answered_and_never_raise(body: Any, problem: str) -> None:
    assert parse_webhook(body, PHONE_NUMBER_ID) == Notification(problems=(problem,))


def test_a_broken_message_does_not_lose_the_others_in_its_batch() -> None:
    body = notification(text("satu", "wamid.1"), {"from": USER, "type": "text"}, text("tiga", "wamid.3"))
    result = parse_webhook(body, PHONE_NUMBER_ID)
    assert [i.text for i in result.messages] == ["satu", "tiga"] and result.problems == ("malformed_message",)


def test_an_empty_notification_has_no_messages() -> None:
    assert parse_webhook({"object": "whatsapp_business_account", "entry": []}, PHONE_NUMBER_ID) == Notification()


def test_a_flood_of_items_is_cut_short() -> None:
    body = notification(*[text("x", f"wamid.{i}") for i in range(5000)])
    result = parse_webhook(body, PHONE_NUMBER_ID)
    assert len(result.messages) == MAX_MESSAGES_PER_NOTIFICATION
    assert set(result.problems) == {"too_many_items"}
    errors = _with_value(errors=[{"code": 1}] * 5000, messages=[])
    assert len(parse_webhook(errors, PHONE_NUMBER_ID).problems) <= 10


def test_text_is_cut_to_whatsapps_limit_and_cleaned_for_storage() -> None:
    assert only(notification(text("a" * 10_000))).text == "a" * MAX_TEXT_CHARS
    assert only(notification(text("ha\x00lo \ud83d"))).text == "halo \ufffd"


def test_the_problem_summary_counts_kinds() -> None:
    assert (
        problem_summary(["malformed_message", "errors:130429", "malformed_message"])
        == "errors:130429, malformed_message x2"
    )
    assert problem_summary([f"errors:{code}" for code in range(30)]).endswith("10 more kinds")


# --- the 24-hour rule ----------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "ago, is_open",
    [
        (dt.timedelta(minutes=1), True),
        (dt.timedelta(hours=23, minutes=59), True),
        (dt.timedelta(hours=24), False),
        (dt.timedelta(days=3), False),
    ],
)
def test_the_window_is_open_for_24_hours(ago: dt.timedelta, is_open: bool) -> None:
    naive_utc = (NOW - ago).replace(tzinfo=None)  # as the inbox stores it
    assert window_open(naive_utc, NOW) is is_open


def test_the_window_compares_instants_not_wall_clocks() -> None:
    jakarta = dt.timezone(dt.timedelta(hours=7))
    assert window_open((NOW - dt.timedelta(hours=23)).astimezone(jakarta), NOW)
    assert not window_open(None, NOW)  # never wrote: no window


def test_route_outside_a_conversation() -> None:
    recent, old = (NOW - dt.timedelta(hours=2)).replace(tzinfo=None), (NOW - dt.timedelta(days=2)).replace(tzinfo=None)
    assert outside_conversation_route(recent, NOW, "") == ROUTE_SESSION
    assert outside_conversation_route(recent, NOW, "case_update") == ROUTE_SESSION
    assert outside_conversation_route(old, NOW, "case_update") == ROUTE_TEMPLATE
    assert outside_conversation_route(None, NOW, "case_update") == ROUTE_TEMPLATE
    assert outside_conversation_route(old, NOW, "  ") == ROUTE_NEEDS_TEMPLATE


def test_recipient_is_the_wa_id_behind_our_prefix() -> None:
    assert whatsapp_recipient("whatsapp:" + USER) == USER
    for bad in ("telegram:123", "whatsapp:", USER):
        with pytest.raises(ValueError, match="^not a WhatsApp sender id$"):
            whatsapp_recipient(bad)


# --- WhatsAppOutput against the Graph API stand-in -----------------------------------------------


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphApiStandIn]:
    with GraphApiStandIn(access_token=TOKEN) as stand_in:
        environment = {
            "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "verify-me",
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_API_BASE_URL": stand_in.base_url,
            "WHATSAPP_API_VERSION": "v21.0",
            "WHATSAPP_TEMPLATE_NAME": "case_update",
            "WHATSAPP_TEMPLATE_LANGUAGE": "id",
            "SEND_MAX_ATTEMPTS": "3",
            "SEND_RETRY_BASE_MS": "10",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        yield stand_in


def deliver(*messages: BotMessage, to: str = "whatsapp:" + USER) -> WhatsAppOutput:
    output = WhatsAppOutput()

    async def run() -> None:
        for bot_message in messages:
            await output.send_bot_message(to, bot_message)

    asyncio.run(run())
    return output


LONG_TEXT = " ".join(["Magang ke Jepang lewat jalur resmi butuh waktu dan dokumen."] * 100)  # ~6,000 chars


def test_text_is_posted_to_the_phone_numbers_messages_with_our_token(graph: GraphApiStandIn) -> None:
    output = deliver(BotMessage(text="Halo!"))
    [call] = graph.messages_to(USER)
    assert output.failures == []
    assert call.path == f"/v21.0/{PHONE_NUMBER_ID}/messages" and call.status == 200
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": USER,
        "type": "text",
        "text": {"preview_url": False, "body": "Halo!"},
    }


def test_long_text_is_split_into_several_messages_in_order(graph: GraphApiStandIn) -> None:
    deliver(BotMessage(text=LONG_TEXT))
    calls = graph.messages_to(USER, delivered_only=True)
    assert len(calls) == 2 and all(len(c.text) <= 4096 for c in calls)
    assert " ".join(c.text for c in calls).split() == LONG_TEXT.split()


def test_up_to_three_buttons_become_reply_buttons(graph: GraphApiStandIn) -> None:
    buttons = (Button("Syarat", "/titp_requirements"), Button("Biaya", "/titp_costs"))
    deliver(BotMessage(text="Mau tahu apa?", buttons=buttons))
    [call] = graph.messages_to(USER, delivered_only=True)
    interactive = call.json["interactive"]
    assert interactive["type"] == "button" and interactive["body"]["text"] == "Mau tahu apa?"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == ["/titp_requirements", "/titp_costs"]


def test_more_than_three_buttons_become_a_list(graph: GraphApiStandIn) -> None:
    buttons = tuple(Button(f"Topik nomor {n}", f"/topic_{n}") for n in range(5))
    deliver(BotMessage(text="Pilih topik:", buttons=buttons))
    [call] = graph.messages_to(USER, delivered_only=True)
    interactive = call.json["interactive"]
    assert interactive["type"] == "list"
    assert [row["id"] for row in interactive["action"]["sections"][0]["rows"]] == [f"/topic_{n}" for n in range(5)]


def test_a_429_waits_for_retry_after_then_succeeds(graph: GraphApiStandIn) -> None:
    graph.fail_next(429, retry_after=1)
    started = time.monotonic()
    output = deliver(BotMessage(text="Halo!"))
    elapsed = time.monotonic() - started
    assert output.failures == []
    assert [c.status for c in graph.messages_to(USER)] == [429, 200]
    assert elapsed >= 0.9  # the platform's Retry-After, not the 10 ms back-off


def test_server_errors_and_rate_limit_codes_are_retried(graph: GraphApiStandIn) -> None:
    graph.fail_next(500, times=1)
    graph.fail_next(400, error_code=130429)
    output = deliver(BotMessage(text="Halo!"))
    assert output.failures == []
    assert [c.status for c in graph.messages_to(USER)] == [500, 400, 200]


def test_a_persistent_outage_gives_up_after_the_configured_attempts(graph: GraphApiStandIn) -> None:
    graph.fail_next(503, times=3)
    output = deliver(BotMessage(text="Halo!"))
    assert len(graph.messages_to(USER)) == 3
    assert output.failures == ["graph api 503 code 1"]


def test_a_400_gives_up_at_once_and_the_rest_of_the_message_is_not_sent(
    graph: GraphApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    graph.fail_next(400, error_code=131047)
    with caplog.at_level(logging.DEBUG):
        output = deliver(BotMessage(text=LONG_TEXT), BotMessage(text="Pesan berikutnya"))
    # The first message's second half is not sent; the next message is its own delivery.
    assert [c.status for c in graph.messages_to(USER)] == [400, 200]
    assert graph.messages_to(USER)[1].text == "Pesan berikutnya"
    assert output.failures == ["graph api 400 code 131047"]
    # Logs say what failed, never to whom or what.
    assert USER not in caplog.text and "Magang" not in caplog.text and "berikutnya" not in caplog.text


def test_a_wrong_access_token_gives_up(graph: GraphApiStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "EAAG-expired")
    output = deliver(BotMessage(text="Halo!"))
    assert [c.status for c in graph.messages_to(USER)] == [401]
    assert output.failures == ["graph api 401 code 190"]


def test_network_errors_are_retried_then_reported(monkeypatch: pytest.MonkeyPatch, graph: GraphApiStandIn) -> None:
    monkeypatch.setenv("WHATSAPP_API_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens there
    output = deliver(BotMessage(text="Halo!"))
    assert output.failures == ["ConnectError"]


def test_a_recipient_that_is_not_a_whatsapp_user_is_a_failure_not_a_crash(graph: GraphApiStandIn) -> None:
    output = deliver(BotMessage(text="Halo!"), to="telegram:42")
    assert output.failures == ["not a whatsapp recipient"] and graph.messages_to() == []


# --- follow-ups outside a conversation (the 24-hour rule with the inbox) --------------------------


@pytest.fixture
def inbox(graph: GraphApiStandIn, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database (SQLite and PostgreSQL, from tests/unit/conftest.py) as DATABASE_URL."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def user_wrote(url: str, ago: dt.timedelta, message_id: str = "wamid.IN1") -> None:
    with transaction(url) as session:
        inbox_id = accept_message(session, "whatsapp", message_id, "whatsapp:" + USER, "halo")
        session.get(InboxMessage, inbox_id).received_at = utcnow() - ago


FOLLOW_UP = [BotMessage(text="Laporan JP-7Q2K sudah kami cek."), BotMessage(text="Balas pesan ini ya.")]


def test_a_follow_up_within_24_hours_is_sent_as_normal_messages(inbox: str, graph: GraphApiStandIn) -> None:
    user_wrote(inbox, dt.timedelta(hours=3))
    assert asyncio.run(send_outside_conversation("whatsapp:" + USER, FOLLOW_UP)) == "sent"
    assert [c.json["type"] for c in graph.messages_to(USER, delivered_only=True)] == ["text", "text"]


def test_a_later_follow_up_uses_the_template(inbox: str, graph: GraphApiStandIn) -> None:
    user_wrote(inbox, dt.timedelta(days=2))
    assert asyncio.run(send_outside_conversation("whatsapp:" + USER, FOLLOW_UP)) == "sent_template"
    [call] = graph.messages_to(USER, delivered_only=True)
    assert call.json["type"] == "template" and call.json["template"]["name"] == "case_update"
    assert call.text == "Laporan JP-7Q2K sudah kami cek. · Balas pesan ini ya."


def test_without_a_template_a_later_follow_up_waits(
    inbox: str, graph: GraphApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHATSAPP_TEMPLATE_NAME", "")
    user_wrote(inbox, dt.timedelta(days=2))
    assert asyncio.run(send_outside_conversation("whatsapp:" + USER, FOLLOW_UP)) == "needs_template"
    assert graph.messages_to() == []


def test_a_refused_follow_up_raises_so_the_console_can_say_so(inbox: str, graph: GraphApiStandIn) -> None:
    user_wrote(inbox, dt.timedelta(hours=1))
    graph.fail_next(400, error_code=131026)
    with pytest.raises(DeliveryFailed) as failure:
        asyncio.run(send_outside_conversation("whatsapp:" + USER, FOLLOW_UP))
    assert failure.value.reason == "graph api 400 code 131026"


# --- the webhook in this process (a bare Sanic app, a stand-in for Rasa's turn) --------------------


@pytest.fixture
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sanic rewrites its request handler once per app unless in test mode, which breaks the
    second app started in one process (KeyError 'handle_exception'); sanic-testing does the same."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@contextlib.asynccontextmanager
async def webhook_server(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> AsyncIterator[str]:
    """WhatsAppInput's blueprint mounted as Rasa mounts it; yields the webhook's address."""
    app = Sanic(f"whatsapp_test_{uuid.uuid4().hex}")
    app.blueprint(WhatsAppInput().blueprint(on_new_message), url_prefix="/webhooks/whatsapp")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/whatsapp/webhook"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


class EchoTurn:
    """Stands in for Rasa's agent: records each message and answers with one text."""

    def __init__(self) -> None:
        self.texts: List[Optional[str]] = []

    async def __call__(self, message: UserMessage) -> None:
        self.texts.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": f"jawaban {len(self.texts)}"})


async def post_signed(url: str, body: Any, signature: Optional[str] = None) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature or sign(raw)}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=raw, headers=headers)


def test_without_configuration_the_webhook_answers_404_and_reads_nothing(
    graph: GraphApiStandIn, sanic_test_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "")
    turn = EchoTurn()

    async def run() -> List[httpx.Response]:
        async with webhook_server(turn) as url:
            async with httpx.AsyncClient(timeout=10) as client:
                verify = await client.get(
                    url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
                )
            return [verify, await post_signed(url, notification(text("halo")))]

    for reply in asyncio.run(run()):
        assert reply.status_code == 404
        assert reply.json() == {"error": "WhatsApp is not configured on this server."}
    assert turn.texts == [] and graph.messages_to() == []


def test_a_signed_message_is_acknowledged_then_answered_once_in_the_background(
    inbox: str, graph: GraphApiStandIn, sanic_test_mode: None
) -> None:
    turn = EchoTurn()

    async def run() -> List[int]:
        async with webhook_server(turn) as url:
            statuses = [
                (await post_signed(url, notification(text("halo", "wamid.SAME")))).status_code for _ in range(2)
            ]  # Meta redelivers when unsure we got it
            statuses.append((await post_signed(url, notification(message("image", {}, "wamid.PIC")))).status_code)
            await asyncio.to_thread(graph.wait_for, 2, USER, 30)
            return statuses

    assert asyncio.run(run()) == [200, 200, 200]
    assert turn.texts == ["halo"]  # the image never reaches the assistant
    assert [c.text for c in graph.messages_to(USER)][0] == "jawaban 1"
    assert "text messages" in graph.messages_to(USER)[1].text


def test_signed_notifications_we_cannot_use_get_a_200_and_a_log_line_of_kinds_only(
    inbox: str, graph: GraphApiStandIn, sanic_test_mode: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Meta redelivers anything but a 200 for days: only the signature decides what is refused."""
    turn = EchoTurn()
    unusable = [
        b"{not json",
        b"[" * 100_000,
        b'{"object": ' + b"9" * 5000 + b"}",
        b"\xff\xfe",
        b'{"object": "whatsapp_business_account", "entry": "x"}',
        samples.value_errors(USER, "wamid.E1", PHONE_NUMBER_ID),
        samples.status_failed(USER, "wamid.E2", PHONE_NUMBER_ID),
    ]
    broken_batch = samples.text_with_a_broken_neighbour(USER, "wamid.GOOD", PHONE_NUMBER_ID)
    raw = json.dumps(notification(text("halo"))).encode()

    async def run() -> List[httpx.Response]:
        async with webhook_server(turn) as url:
            replies = [await post_signed(url, body) for body in unusable]
            replies.append(await post_signed(url, broken_batch))
            await asyncio.to_thread(graph.wait_for, 1, USER, 30)
            async with httpx.AsyncClient(timeout=10) as client:
                replies.append(await client.post(url, content=raw))  # unsigned
            replies.append(await post_signed(url, raw, signature=sign(raw, "not-our-secret")))
            return replies

    with caplog.at_level(logging.INFO, logger="bot.channels.whatsapp"):
        replies = asyncio.run(run())
    assert [(r.status_code, r.json()) for r in replies[: len(unusable)]] == [(200, {"status": "ignored"})] * len(
        unusable
    )
    assert (replies[-3].status_code, replies[-3].json()) == (200, {"status": "ok"})
    assert turn.texts == ["Does it come in another color?"]  # the readable message of the broken batch
    assert [r.status_code for r in replies[-2:]] == [401, 403]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for kind in (
        "not_json",
        "too_deep",
        "number_too_long",
        "not_utf8",
        "malformed_entry",
        "errors:130429",
        "status_errors:131049",
        "malformed_message",
    ):
        assert kind in logged, kind
    assert USER not in logged and "wamid" not in logged and "color" not in logged


def test_when_the_inbox_cannot_be_written_meta_is_asked_to_retry(
    graph: GraphApiStandIn, sanic_test_mode: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing-folder' / 'app.db'}")
    turn = EchoTurn()

    async def run() -> httpx.Response:
        async with webhook_server(turn) as url:
            return await post_signed(url, notification(text("halo")))

    assert asyncio.run(run()).status_code == 503
    assert turn.texts == []


def test_messages_accepted_before_a_stop_are_answered_after_the_next_start(
    inbox: str, graph: GraphApiStandIn, sanic_test_mode: None
) -> None:
    with transaction(inbox) as session:
        accept_message(session, "whatsapp", "wamid.BEFORE-CRASH", "whatsapp:" + USER, "magang berapa tahun?")
    turn = EchoTurn()

    async def run() -> None:
        async with webhook_server(turn):
            await asyncio.to_thread(graph.wait_for, 1, USER, 30)

    asyncio.run(run())
    assert turn.texts == ["magang berapa tahun?"]
    assert graph.messages_to(USER)[0].text == "jawaban 1"
