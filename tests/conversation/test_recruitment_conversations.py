"""Offer checks, reports, status checks and emergencies through the trained assistant."""

from __future__ import annotations

import sqlite3
from typing import Any, Dict, List

import pytest
from sqlalchemy import func, select

from bot.storage.db import transaction
from bot.storage.models import Report

pytestmark = pytest.mark.conversation

ISSUE_EXAMPLE = (
    "ditawarin kerja pabrik di jepang sama temen ibu, visa turis dulu, bayar 45 juta ke rekening dia, aman ga?"
)
ANSWERS = {
    "report_what_happened": "ditawari kerja pabrik di jepang, disuruh bayar 40jt ke calo, sekarang orangnya hilang",
    "report_recruiter_name": "Pak Darto",
    "report_recruiter_kind": "individual",
    "report_recruiter_phone": "0812-3456-7890",
    "report_location": "Kab. Garut",
    "report_money": "40jt ke rekening pribadi",
    "report_documents": "tidak ada",
    "report_reporter_safe": "/affirm",
    "report_reporter_location": "indonesia",
    "report_consent_contact": "/deny",
    "report_anonymous": "/affirm",
    "report_contact": "0813-1111-2222",
}


def payloads(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [m["custom"] for m in messages if m.get("custom")]


def fill_form(chat, answers=ANSWERS, stop_at: str = "report_confirm") -> List[Dict[str, Any]]:
    """Answer whatever the form asks until it asks ``stop_at``; returns the last bot messages."""
    messages: List[Dict[str, Any]] = []
    for _ in range(20):
        asked = chat.slot("requested_slot")
        if asked == stop_at or asked is None:
            return messages
        messages = chat.say(answers[asked])
    raise AssertionError("the form did not reach " + stop_at)


def saved_text(messages: List[Dict[str, Any]]) -> str:
    """The confirmation with code and PIN (the payload travels as a separate custom message)."""
    return next(m["text"] for m in messages if "Kode laporan:" in (m.get("text") or ""))


def report_count(database_url: str) -> int:
    with transaction(database_url) as session:
        return session.execute(select(func.count(Report.id))).scalar_one()


def test_offer_check_lists_flags_level_and_offers_to_report(chat) -> None:
    messages = chat.say(ISSUE_EXAMPLE)
    [payload] = payloads(messages)
    assert payload["type"] == "risk_assessment" and payload["level"] == "high"
    assert {"wrong_visa", "unlicensed_agency", "upfront_fee"} <= set(payload["flags"])
    text = "\n".join(m.get("text") or "" for m in messages)
    assert "TINGGI" in text and "UU 18/2017" in text
    assert any(b["payload"] == "/report_recruiter" for m in messages for b in m.get("buttons") or [])


def test_short_request_asks_for_the_description_first(chat) -> None:
    assert "Ceritakan" in chat.say_text("tolong cek tawaran kerja dong")
    messages = chat.say("LPK minta DP 10jt, katanya berangkat 2 minggu lagi tanpa tes bahasa")
    assert payloads(messages)[0]["level"] == "high"


def test_legitimate_offer_is_low_and_still_reminds_how_to_verify(chat) -> None:
    messages = chat.say(
        "cek tawaran ini: daftar magang lewat IM Japan di disnaker, biaya sekitar 12 juta setelah lulus seleksi,"
        " ada kontrak tertulis"
    )
    assert payloads(messages)[0]["level"] == "low"
    assert "kemnaker.go.id" in "\n".join(m.get("text") or "" for m in messages)


def test_report_after_an_offer_check_reuses_its_facts_and_gives_code_and_pin(chat, database_url) -> None:
    chat.say(ISSUE_EXAMPLE)
    before = report_count(database_url)
    chat.say("/report_recruiter")
    assert chat.slot("report_what_happened") == ISSUE_EXAMPLE  # not asked again
    assert chat.slot("report_recruiter_kind") == "individual"
    fill_form(chat)
    messages = chat.say("send")
    text = saved_text(messages)
    assert "Kode laporan:" in text and "PIN:" in text
    assert payloads(messages)[-1]["type"] == "risk_assessment"
    assert report_count(database_url) == before + 1
    code = payloads(messages)[-1]["case_code"]
    pin = text.split("PIN:")[1].split()[0]

    status = chat.say_text(f"cek status laporan {code}")
    assert "PIN" in status
    assert "Baru" in chat.say_text(pin)


def test_wrong_pin_shows_nothing(chat) -> None:
    chat.say("/report_recruiter")
    fill_form(chat)
    text = saved_text(chat.say("send"))
    code = text.split("Kode laporan:")[1].split()[0]
    pin = text.split("PIN:")[1].split()[0]
    wrong = "000000" if pin != "000000" else "111111"
    reply = chat.say_text(f"cek status laporan {code} {wrong}")
    assert "tidak cocok" in reply and "Baru" not in reply


def test_answers_are_validated_with_a_helpful_reask(chat) -> None:
    chat.say("mau lapor calo")
    fill_form(chat, stop_at="report_recruiter_phone")
    assert "tidak lengkap" in chat.say_text("123")
    assert chat.slot("requested_slot") == "report_recruiter_phone"
    chat.say("lewati")
    assert chat.slot("report_recruiter_phone") == "-"


def test_correction_mid_form_and_at_the_summary(chat) -> None:
    chat.say("mau lapor calo")
    fill_form(chat, stop_at="report_money")
    chat.say("ralat")
    assert chat.slot("requested_slot") == "report_location"
    chat.say("Kota Bandung")
    fill_form(chat)
    chat.say("edit report_location")
    assert chat.slot("requested_slot") == "report_location"
    summary = chat.say_text("Kab. Sumedang")
    assert "Kab. Sumedang" in summary and "Kota Bandung" not in summary


def test_cancel_at_any_time_saves_nothing(chat, database_url) -> None:
    before = report_count(database_url)
    chat.say("mau lapor calo")
    fill_form(chat, stop_at="report_location")
    assert "dibatalkan" in chat.say_text("batal")
    assert chat.slot("report_what_happened") is None
    assert report_count(database_url) == before


def test_emergency_in_the_middle_of_a_report_gets_contacts_at_once_and_marks_it_urgent(chat, database_url) -> None:
    chat.say("mau lapor calo")
    fill_form(chat, stop_at="report_location")
    text = chat.say_text("tolong aku dikurung di asrama di jepang, gaji ga dibayar 4 bulan")
    assert "110" in text and "+81 80 3506 8612" in text
    assert chat.slot("report_urgent") is True
    fill_form(chat)
    payload = payloads(chat.say("send"))[-1]
    assert payload["level"] == "urgent" and "trafficking_signs" in payload["flags"]


def test_failed_database_write_tells_the_user_and_keeps_the_answers(chat, database_url) -> None:
    chat.say("mau lapor calo")
    fill_form(chat)
    path = database_url.replace("sqlite:///", "")
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE reports RENAME TO reports_offline")
    try:
        reply = chat.say_text("send")
    finally:
        with sqlite3.connect(path) as connection:
            connection.execute("ALTER TABLE reports_offline RENAME TO reports")
    assert "BELUM tersimpan" in reply
    assert chat.slot("report_what_happened") == ANSWERS["report_what_happened"]
    chat.say("/report_recruiter")  # "Coba lagi": every answer is still there, straight to the summary
    assert chat.slot("requested_slot") == "report_confirm"
    assert "Kode laporan:" in saved_text(chat.say("send"))


def _saved_report(database_url: str, code: str) -> Report:
    with transaction(database_url) as session:
        report = session.execute(select(Report).where(Report.case_code == code)).scalar_one()
        session.expunge(report)
        return report


@pytest.mark.parametrize("anonymous", [False, True], ids=["named", "anonymous"])
def test_the_console_transcript_is_read_from_the_tracker_rasa_wrote(
    chat, database_url: str, tracker_store_url: str, anonymous: bool
) -> None:
    """Rasa's own SQL tracker store wrote these rows while the assistant talked: the console reads
    them as a reviewer sees them (up to the report, codes redacted, an anonymous one cut and masked)."""
    from console.transcript import MASKED_PHONE, load_transcript

    chat.say("magang ke jepang brp biayanya")  # before the report: shown only for a named report
    chat.say("mau lapor calo")
    fill_form(chat, {**ANSWERS, "report_anonymous": "/affirm" if anonymous else "/deny"})
    messages = chat.say("send")
    code = payloads(messages)[-1]["case_code"]
    chat.say(f"cek status laporan {code}")  # after the report: the reporter's own business
    report = _saved_report(database_url, code)
    assert report.conversation_id == chat.sender and report.anonymous is anonymous

    lines = load_transcript(tracker_store_url, report.conversation_id, report.created_at, report.anonymous)

    assert lines is not None
    user_lines = [line.text for line in lines if line.speaker == "user"]
    bot_text = "\n".join(line.text for line in lines if line.speaker == "bot")
    assert ANSWERS["report_what_happened"] in user_lines and "Pak Darto" in user_lines
    assert "Apa yang terjadi? Ceritakan singkat" in bot_text  # the form's first question
    assert all(line.at is not None for line in lines)
    everything = "\n".join(line.text for line in lines)
    assert code not in everything and "[kode laporan] · PIN: [PIN]" in bot_text  # redacted, still readable
    assert user_lines[-1] == "send"  # the status check after the report is not shown
    if anonymous:
        assert user_lines[0] == "mau lapor calo"  # only the report itself
        assert ANSWERS["report_recruiter_phone"] not in user_lines and MASKED_PHONE in user_lines
    else:
        assert user_lines[0] == "magang ke jepang brp biayanya"
        assert ANSWERS["report_recruiter_phone"] in user_lines
