""" "Hapus data saya": the question, the erasure and "Batal", run with stub trackers (no model), and
what the erasure deletes in the app database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.privacy import ActionAskEraseMyData, ActionEraseCancelled, ActionEraseMyData
from bot.intents import ERASE_DATA_ACTION
from bot.privacy.erasure import erase_unlinked_data
from bot.storage.db import transaction
from bot.storage.inbox import accept_message, finish_message
from bot.storage.models import AuditEntry, InboxMessage, Report
from tests.unit.support import with_reply_language

SENDER = "telegram:5550001"
OTHER = "telegram:5550002"
DOMAIN = {"forms": {"report_form": {}, "offer_form": {}, "status_form": {}}}


def tracker(
    text: str,
    intent: str,
    slots: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    channel: str = "telegram",
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    history = [*(events or []), {"event": "user", "text": text, "input_channel": channel, "parse_data": latest}]
    return Tracker(
        SENDER,
        with_reply_language(text, intent, slots),
        latest,
        history,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def run(action: Any, stub: Tracker, domain: Optional[Dict[str, Any]] = None) -> tuple:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, stub, domain if domain is not None else DOMAIN)
    return dispatcher.messages, events


def slots(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- the question --------------------------------------------------------------------------------
def test_the_question_says_what_goes_and_what_stays_and_offers_two_buttons() -> None:
    messages, events = run(ActionAskEraseMyData(), tracker("hapus dta sy", "erase_my_data", {"language": "id"}))
    [message] = messages
    assert "seluruh percakapan ini" in message["text"] and "tetap disimpan" in message["text"]
    assert "PIN" in message["text"]
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [("Ya, hapus", "/affirm"), ("Batal", "/deny")]
    # No form to interrupt: nothing to end, nothing to remember.
    assert not [e for e in events if e.get("event") == "active_loop"]
    assert "erase_resume_form" not in slots(events)


def test_the_question_in_english() -> None:
    messages, _ = run(ActionAskEraseMyData(), tracker("delete my data please", "erase_my_data"))
    [message] = messages
    assert "Reports you have already sent are kept" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Yes, delete", "Cancel"]


def test_asked_during_a_form_it_ends_the_form_and_remembers_it() -> None:
    stub = tracker(
        "hapus data saya",
        "erase_my_data",
        {"language": "id", "requested_slot": "report_money"},
        active_loop="report_form",
    )
    messages, events = run(ActionAskEraseMyData(), stub)
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert slots(events) == {"requested_slot": None, "erase_resume_form": "report_form"}
    assert messages[0]["text"].startswith("Yang sedang kamu isi sekarang (belum dikirim) juga ikut terhapus.")


def test_asking_again_instead_of_answering_keeps_the_interrupted_form() -> None:
    earlier = [
        {"event": "user", "text": "hapus data saya"},
        {"event": "action", "name": "action_ask_erase_my_data"},
        {"event": "action", "name": "action_listen"},
    ]
    stub = tracker(
        "hapus semua chat aku", "erase_my_data", {"language": "id", "erase_resume_form": "report_form"}, events=earlier
    )
    _, events = run(ActionAskEraseMyData(), stub)
    assert "erase_resume_form" not in slots(events)  # unchanged: still report_form
    # Long after, a new request outside any form has nothing to resume.
    later = [
        {"event": "user", "text": "hapus data saya"},
        {"event": "action", "name": "action_ask_erase_my_data"},
        {"event": "user", "text": "halo"},
        {"event": "action", "name": "action_greet"},
    ]
    stub = tracker(
        "hapus data saya", "erase_my_data", {"language": "id", "erase_resume_form": "report_form"}, events=later
    )
    _, events = run(ActionAskEraseMyData(), stub)
    assert slots(events) == {"erase_resume_form": None}


# --- "Batal" ---------------------------------------------------------------------------------------
def test_cancel_deletes_nothing_and_brings_the_form_back() -> None:
    messages, events = run(
        ActionEraseCancelled(), tracker("/deny", "deny", {"language": "id", "erase_resume_form": "report_form"})
    )
    assert messages[0]["text"] == "Oke, tidak ada yang dihapus. Kita lanjutkan yang tadi ya."
    assert slots(events) == {"erase_resume_form": None}
    assert {"event": "followup", "name": "report_form"} in [{k: e.get(k) for k in ("event", "name")} for e in events]


def test_cancel_outside_a_form_only_says_nothing_was_deleted() -> None:
    messages, events = run(ActionEraseCancelled(), tracker("no", "deny", {"language": "en"}))
    assert messages[0]["text"] == "OK, nothing was deleted."
    assert not [e for e in events if e.get("event") == "followup"]
    # A value that names no form of the domain never becomes a follow-up action.
    _, events = run(
        ActionEraseCancelled(), tracker("batal", "cancel", {"language": "id", "erase_resume_form": "action_restart"})
    )
    assert not [e for e in events if e.get("event") == "followup"]


# --- the erasure -----------------------------------------------------------------------------------
def _inbox(database_url: str) -> None:
    with transaction(database_url) as session:
        done = accept_message(session, "telegram", "m:1", SENDER, "halo")
        accept_message(session, "telegram", "m:2", SENDER, "hapus data saya")  # this turn: still pending
        accept_message(session, "whatsapp", "wamid.1", SENDER, "same id on another channel")
        accept_message(session, "telegram", "m:3", OTHER, "somebody else")
        finish_message(session, done, "done")
        session.add(
            Report(
                case_code="K7QX-4M2P",
                pin_hash="x",
                status="new",
                risk_level="high",
                flags=[],
                channel="telegram",
                conversation_id=SENDER,
                language="id",
                what_happened="dijanjikan kerja di pabrik, bayar 40 juta",
            )
        )


def _rows(database_url: str) -> List[tuple]:
    with transaction(database_url) as session:
        return sorted(session.execute(select(InboxMessage.channel, InboxMessage.sender_id)).all())


def test_erasure_deletes_this_chats_inbox_rows_keeps_reports_and_is_audited(database_url: str, monkeypatch) -> None:
    _inbox(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    messages, events = run(ActionEraseMyData(), tracker("/affirm", "affirm", {"language": "id"}))
    assert ActionEraseMyData().name() == ERASE_DATA_ACTION
    assert [e["event"] for e in events] == ["restart"]
    assert messages[0]["text"].startswith("Sudah dihapus.") and "PIN" in messages[0]["text"]
    assert _rows(database_url) == [("telegram", OTHER), ("whatsapp", SENDER)]
    with transaction(database_url) as session:
        assert session.execute(select(Report.conversation_id)).scalar_one() == SENDER  # the report stays linked
        [entry] = session.execute(select(AuditEntry)).scalars().all()
        assert (entry.action, entry.actor) == ("erasure", "reporter")
        assert entry.detail["inbox_rows_deleted"] == 2 and entry.detail["reports_kept"] == 1
        assert "5550001" not in json.dumps(entry.detail)


def test_a_request_through_another_channel_cannot_reach_a_platform_users_inbox(database_url: str) -> None:
    _inbox(database_url)
    with transaction(database_url) as session:
        result = erase_unlinked_data(session, SENDER, "rest")
    assert result.inbox_rows_deleted == 0
    assert len(_rows(database_url)) == 4


def test_a_database_failure_is_told_honestly_and_the_conversation_still_restarts(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'not-migrated.db'}")
    monkeypatch.setenv("RETENTION_CONVERSATION_DAYS", "60")
    messages, events = run(ActionEraseMyData(), tracker("yes", "affirm", {"language": "en"}))
    assert [e["event"] for e in events] == ["restart"]
    assert "could not be deleted just now" in messages[0]["text"] and "within 60 days" in messages[0]["text"]
