"""Attacks from outside the process against the running stack (`python -m bot.serve`, as `make run`
starts it), one per hole of issue 10; each failed on the code before the fix."""

from __future__ import annotations

import json
import os
import time
import urllib.error
from pathlib import Path
from typing import Any, Dict, List

import pytest
from sqlalchemy import create_engine, text

from tests.channels.conftest import ACTION_SERVER_TOKEN, RASA_API_TOKEN, Stack, post
from tests.channels.test_telegram_channel import (
    _next_question,
    _wait_for_text,
    file_report,
    new_chat,
    send,
    text_update,
)
from tests.servers import action_server, listening_addresses

pytestmark = pytest.mark.conversation


def rest(stack: Stack, sender: str, message: str, headers: Dict[str, str] = None) -> List[Dict[str, Any]]:
    status, body = post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json.dumps({"sender": sender, "message": message}).encode("utf-8"),
        {"Content-Type": "application/json", **(headers or {})},
    )
    assert status == 200, body
    return json.loads(body)


def test_rest_cannot_speak_as_a_telegram_user(stack: Stack) -> None:
    chat = new_chat()
    sender = f"telegram:{chat.id}"
    send(stack, text_update(chat, "/lapor"))
    asked = _next_question(stack, sender, None)
    assert asked == "report_what_happened"
    story = "aku bayar 30 juta ke calo di Garut, paspor ditahan"
    send(stack, text_update(chat, story))
    asked = _next_question(stack, sender, asked)
    events_before = len(stack.tracker(sender)["events"])

    # The attacker names the victim's conversation on the public REST channel...
    for attempt in ("lanjut", "/restart", "sumbernya?"):
        replies = rest(stack, sender, attempt)
        text_seen = " ".join(reply.get("text") or "" for reply in replies)
        assert "30 juta" not in text_seen and "Garut" not in text_seen
        assert all(reply["recipient_id"] == sender for reply in replies)
    # ...and reaches only a conversation of its own: the victim's draft is untouched.
    victim = stack.tracker(sender)
    assert victim["slots"]["requested_slot"] == asked
    assert victim["slots"]["report_what_happened"] == story
    assert len(victim["events"]) == events_before
    assert stack.tracker(f"rest:{sender}")["events"]  # the attacker's own, separate conversation


def test_internal_servers_listen_on_loopback_only(stack: Stack) -> None:
    for name in ("RASA_PORT", "CONSOLE_PORT"):
        addresses = listening_addresses(int(stack.env[name]))
        assert addresses == {"127.0.0.1"}, (name, addresses)  # and no wildcard or IPv6 any
    # Actions run inside Rasa by default: no action server port is open at all.
    assert listening_addresses(int(stack.env["ACTION_PORT"])) == set()


def test_no_action_server_to_forge_calls_to_and_a_separate_one_refuses_them(stack: Stack, tmp_path: Path) -> None:
    forged = {
        "next_action": "action_submit_report",
        "sender_id": "rest:x",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "rest:x",
            "slots": {"report_what_happened": "palsu"},
            "events": [],
            "latest_message": {},
            "active_loop": {},
            "paused": False,
            "followup_action": None,
        },
    }
    body = json.dumps(forged).encode()
    with pytest.raises(urllib.error.URLError, match="refused"):
        post(f"http://127.0.0.1:{stack.env['ACTION_PORT']}/webhook", body, {"Content-Type": "application/json"})
    # With ACTIONS_IN_PROCESS=false the action server runs, and wants its token.
    with action_server(tmp_path) as separate:
        status, answer = post(separate.url, body, {"Content-Type": "application/json"})
    assert status == 401 and "Kode" not in answer and "events" not in answer


def test_no_secret_on_any_command_line_or_in_the_log(stack: Stack) -> None:
    secrets = [
        RASA_API_TOKEN,
        ACTION_SERVER_TOKEN,
        stack.env["TELEGRAM_WEBHOOK_SECRET"],
        stack.env["WHATSAPP_APP_SECRET"],
        stack.env["WHATSAPP_ACCESS_TOKEN"],
    ]
    commands = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if "bot." in command or "console" in command:
            commands.append(command)
    assert any("bot.rasa_server" in command for command in commands)
    for command in commands:
        for secret in secrets:
            assert secret not in command
    log = stack.log()
    for secret in secrets:
        assert secret not in log


def test_bodies_over_the_limit_are_refused_before_they_are_read(stack: Stack) -> None:
    big = b'{"sender": "x", "message": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    status, _ = post(f"{stack.rasa_url}/webhooks/rest/webhook", big, {"Content-Type": "application/json"})
    assert status == 413


def test_rest_floods_are_limited_per_sender(stack: Stack) -> None:
    limit = 30
    statuses = []
    for _ in range(limit + 3):
        status, _ = post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json.dumps({"sender": "flooder", "message": "/greet"}).encode(),
            {"Content-Type": "application/json"},
        )
        statuses.append(status)
    assert statuses[:limit] == [200] * limit and 429 in statuses[limit:]


def test_code_and_pin_are_not_stored_nor_shown_in_the_transcript(stack: Stack) -> None:
    from console.transcript import load_transcript

    chat = new_chat()
    sender = f"telegram:{chat.id}"
    code, pin = file_report(stack, chat)
    # The reporter saw both once; now they check their status, typing both.
    send(stack, text_update(chat, f"cek status laporan {code}"))
    _wait_for_text(stack, chat, "PIN 6 angka")
    send(stack, text_update(chat, pin))
    _wait_for_text(stack, chat, f"Laporan {code}")
    time.sleep(1)
    engine = create_engine(stack.env["TRACKER_STORE_URL"])
    with engine.connect() as connection:
        stored = "\n".join(
            row[0] for row in connection.execute(text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender})
        )
    assert stored and code not in stored and pin not in stored
    lines = load_transcript(stack.env["TRACKER_STORE_URL"], sender)
    shown = "\n".join(line.text for line in lines)
    assert code not in shown and pin not in shown and "[PIN]" in shown
