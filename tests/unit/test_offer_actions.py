"""The offer check, report start and emergency actions, run with stub trackers (no model)."""

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.offers as offers
from actions.offers import ActionCheckOffer
from actions.reports import ActionEmergency, ActionStartReport
from tests.unit.support import stub_tracker


@pytest.fixture(autouse=True)
def no_registry_database(monkeypatch) -> None:
    monkeypatch.setattr(offers, "registry_entries", lambda: [])


def run(action: Any, stub: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, stub, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def payloads(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == "risk_assessment"]


QUESTION_WITH_FACTS = "kak lpk aku nahan ijazah asli sampe lunas biaya pelatihan, boleh ga sih"


def test_a_routed_question_gets_the_rule_answer_then_the_check() -> None:
    stub = stub_tracker(
        QUESTION_WITH_FACTS,
        "check_offer",
        {"offer_text": QUESTION_WITH_FACTS},
        offer_route={"from_intent": "documents", "question": True},
    )
    messages, slots = run(ActionCheckOffer(), stub)
    checks = payloads(messages)
    assert len(checks) == 1 and "document_retention" in checks[0]["flags"]
    assert messages.index(next(m for m in messages if m.get("custom"))) > 0  # the answer comes first
    assert slots["last_answer"] == "documents"


def test_danger_leads_even_when_a_question_was_asked() -> None:
    text = "kami dikunci di asrama dan gaji 3 bulan belum dibayar, boleh ga lpk kayak gitu"
    stub = stub_tracker(
        text, "check_offer", {"offer_text": text}, offer_route={"from_intent": "red_flags", "question": True}
    )
    messages, slots = run(ActionCheckOffer(), stub)
    assert messages[0].get("custom", {}).get("level") == "urgent"
    assert slots["report_urgent"] is True


def test_a_check_routed_from_small_talk_gives_no_answer() -> None:
    text = "makasih kak, btw aku ditawarin visa turis buat kerja di pabrik bayar 40jt"
    stub = stub_tracker(
        text, "check_offer", {"offer_text": text}, offer_route={"from_intent": "thank", "question": True}
    )
    messages, slots = run(ActionCheckOffer(), stub)
    assert [(p["level"], p["flags"]) for p in payloads(messages)] == [("high", ["wrong_visa"])]
    assert messages[0].get("custom", {}).get("type") == "risk_assessment"  # the check first: no answer before it
    assert "last_answer" not in slots


def test_a_report_request_with_its_story_is_checked_and_not_asked_again() -> None:
    text = "min sy mau lapor, sy udh bayar 30jt ke sponsor tp ga berangkat2 udh 1 thn"
    messages, slots = run(ActionStartReport(), stub_tracker(text, "report_recruiter"))
    assert slots["report_what_happened"] == text
    assert slots["report_recruiter_kind"] == "individual"
    assert slots["report_money_idr"] == 30_000_000
    [check] = payloads(messages)
    assert check["level"] == "high" and set(check["flags"]) == {"unlicensed_agency", "upfront_fee"}
    # already reporting: no second "report it?" question
    assert not any(m.get("buttons") for m in messages)


def test_a_bare_report_request_asks_what_happened() -> None:
    messages, slots = run(ActionStartReport(), stub_tracker("mau lapor calo", "report_recruiter"))
    assert "report_what_happened" not in slots and not payloads(messages)


def test_a_report_after_an_offer_check_reuses_that_offer() -> None:
    offer = "ada calo minta dp 10 juta ke rekening pribadi, visa turis"
    messages, slots = run(
        ActionStartReport(), stub_tracker("/report_recruiter", "report_recruiter", {"offer_text": offer})
    )
    assert slots["report_what_happened"] == offer and slots["report_recruiter_kind"] == "individual"


def test_an_emergency_that_describes_the_situation_also_gets_the_check() -> None:
    text = "tolong paspor ku diambil bos, ga boleh keluar asrama"
    messages, slots = run(ActionEmergency(), stub_tracker(text, "emergency_help"))
    assert payloads(messages)[0]["level"] == "urgent"
    assert slots["offer_text"] == text and slots["report_urgent"] is True


def test_an_emergency_inside_the_report_form_only_gives_the_contacts() -> None:
    text = "tolong aku dikunci"
    messages, _ = run(ActionEmergency(), stub_tracker(text, "emergency_help", active_loop="report_form"))
    assert len(messages) == 1 and not payloads(messages)


def test_a_long_story_is_read_in_full_not_as_the_nlu_cut_it() -> None:
    from actions.common import latest_text

    story = "aku cerita dulu ya kak. " * 60 + "terus LPK minta DP 10 juta ke rekening pribadi"
    stub = stub_tracker(story[:1000], "report_recruiter")
    stub.events.append({"event": "user", "text": story})
    assert latest_text(stub) == story


def test_a_short_advert_routed_to_the_check_is_taken_as_the_offer() -> None:
    from actions.offers import ActionPrefillOffer

    text = "LOKER JEPANG! Gaji 28jt/bln. Minat DM"
    _, slots = run(ActionPrefillOffer(), stub_tracker(text, "check_offer"))
    assert slots["offer_text"] == text


def test_a_case_told_as_statements_gets_the_check_without_an_faq_answer() -> None:
    text = "aku ditawarin kerja di jepang sama calo, bayar 40jt, visa turis dulu"
    stub = stub_tracker(
        text, "check_offer", {"offer_text": text}, offer_route={"from_intent": "wrong_visa", "question": False}
    )
    messages, slots = run(ActionCheckOffer(), stub)
    assert messages[0].get("custom", {}).get("type") == "risk_assessment" and "last_answer" not in slots


def test_an_emergency_reply_fits_a_phone_and_gives_each_contact_once() -> None:
    text = "tolong aku dikunci di asrama, paspor diambil bos"
    messages, _ = run(ActionEmergency(), stub_tracker(text, "emergency_help"))
    reply = "\n".join(m.get("text") or "" for m in messages)
    [check] = payloads(messages)
    assert check["level"] == "urgent" and set(check["flags"]) == {"trafficking_signs", "document_retention"}
    assert reply.count("0-800-1000") <= 2 and len(reply) <= 2000


def test_the_money_in_a_report_is_the_fee_not_the_promised_salary() -> None:
    text = "mau lapor, calo janji gaji 28 juta sebulan, aku udah transfer 5 juta ke rekening dia tapi dia hilang"
    _, slots = run(ActionStartReport(), stub_tracker(text, "report_recruiter"))
    assert slots["report_money_idr"] == 5_000_000
