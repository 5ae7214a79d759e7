""" "Hapus data saya" through the trained assistant: the question, "Ya, hapus", "Batal", inside and
outside a report, and a report sent before the erasure still answering to its code and PIN."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from sqlalchemy import func, select

from bot.storage.db import transaction
from bot.storage.models import AuditEntry, Report
from tests.conversation.test_recruitment_conversations import fill_form, payloads, saved_text

pytestmark = pytest.mark.conversation

STORY = "ditawari kerja pabrik di jepang, disuruh bayar 40jt ke calo, sekarang orangnya hilang"


def question(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The message that asks to confirm the erasure (it carries the two buttons)."""
    return next(m for m in messages if [b.get("payload") for b in m.get("buttons") or []] == ["/affirm", "/deny"])


def erasures(database_url: str) -> List[AuditEntry]:
    with transaction(database_url) as session:
        return session.execute(select(AuditEntry).where(AuditEntry.action == "erasure")).scalars().all()


def test_informal_request_is_confirmed_then_everything_is_forgotten(chat, database_url) -> None:
    before = len(erasures(database_url))
    chat.say("english please")
    asked = question(chat.say("tolong hapus semua chat aku"))
    assert "seluruh percakapan ini" in asked["text"] and "tetap disimpan" in asked["text"]
    assert [b["title"] for b in asked["buttons"]] == ["Ya, hapus", "Batal"]
    done = chat.say_text("/affirm")
    assert "Sudah dihapus" in done
    entries = erasures(database_url)
    assert len(entries) == before + 1
    assert entries[-1].actor == "reporter" and chat.sender not in json.dumps(entries[-1].detail)
    # A new conversation: nothing remembered, not even the language chosen before.
    assert chat.slot("language") is None
    assert chat.slot("erase_resume_form") is None
    assert "Halo" in chat.say_text("halo")


def test_english_request_cancelled_deletes_nothing(chat, database_url) -> None:
    before = len(erasures(database_url))
    asked = question(chat.say("please delete my personal data"))
    assert "Reports you have already sent are kept" in asked["text"]
    assert "nothing was deleted" in chat.say_text("/deny")
    assert len(erasures(database_url)) == before
    assert chat.slot("language") == "en"


def test_typed_batal_cancels_the_erasure(chat, database_url) -> None:
    before = len(erasures(database_url))
    question(chat.say("hapus data saya"))
    assert "tidak ada yang dihapus" in chat.say_text("batal")
    assert len(erasures(database_url)) == before


def test_in_a_report_batal_brings_the_report_back_where_it_was(chat) -> None:
    chat.say("mau lapor calo")
    chat.say(STORY)
    assert chat.slot("requested_slot") == "report_recruiter_name"
    asked = question(chat.say("hapus data saya"))
    assert "belum dikirim" in asked["text"]
    assert chat.slot("requested_slot") is None  # "Batal" must not be read as the recruiter's name
    reply = chat.say_text("/deny")
    assert "tidak ada yang dihapus" in reply and "lanjutkan" in reply
    assert chat.slot("requested_slot") == "report_recruiter_name"
    assert chat.slot("report_what_happened") == STORY
    chat.say("Pak Darto")
    assert chat.slot("report_recruiter_name") == "Pak Darto"
    assert chat.slot("requested_slot") == "report_recruiter_kind"


def test_in_a_report_yes_discards_the_unsent_report(chat, database_url) -> None:
    with transaction(database_url) as session:
        reports_before = session.execute(select(func.count(Report.id))).scalar_one()
    chat.say("mau lapor calo")
    chat.say(STORY)
    question(chat.say("hapus data saya"))
    assert "Sudah dihapus" in chat.say_text("/affirm")
    assert chat.slot("report_what_happened") is None and chat.slot("requested_slot") is None
    with transaction(database_url) as session:
        assert session.execute(select(func.count(Report.id))).scalar_one() == reports_before


def test_a_report_sent_before_the_erasure_is_kept_and_its_code_and_pin_still_work(chat, database_url) -> None:
    chat.say("/report_recruiter")
    fill_form(chat)
    messages = chat.say("send")
    code = payloads(messages)[-1]["case_code"]
    pin = saved_text(messages).split("PIN:")[1].split()[0]
    question(chat.say("hapus data saya"))
    chat.say("/affirm")
    with transaction(database_url) as session:
        report = session.execute(select(Report).where(Report.case_code == code)).scalar_one()
        assert report.conversation_id == chat.sender  # staff can still tell this chat there is news
    entry = erasures(database_url)[-1]
    assert entry.detail["reports_kept"] >= 1
    assert "Baru" in chat.say_text(f"cek status laporan {code} {pin}")
