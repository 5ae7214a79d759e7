"""The conversation, guidance, offer-form and status-form actions with stub trackers and rasa_sdk's
own dispatcher, without a trained model (the report form and the privacy actions have their own
files). The last test checks that every action in actions/ is run by some unit test."""

from __future__ import annotations

import asyncio
import inspect
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions
from actions.common import knowledge, report_texts, ui_text
from actions.conversation import ActionClarify, ActionGreet, ActionSetReplyLanguage, ActionShowCapabilities
from actions.guidance import ActionAnswerQuestion, ActionFollowSuggestion, ActionShowSource
from actions.offers import OFFER_SLOT, ActionPrefillOffer, ValidateOfferForm
from actions.reports import ActionAskReportConfirm, ActionPrefillStatus, ActionReportCancelled, ValidateStatusForm
from bot.intents import CANDIDATES_KEY, REPLY_LANGUAGE_KEY
from bot.text_guard import TRUNCATED_KEY
from tests.unit.support import stub_tracker

ROOT = Path(__file__).resolve().parents[2]


def run(action: Action, tracker: Tracker) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(messages, events) of one action run."""
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker, {})
    events = asyncio.run(result) if inspect.isawaitable(result) else result
    return dispatcher.messages, list(events)


def texts(messages: List[Dict[str, Any]]) -> List[Optional[str]]:
    return [message.get("text") for message in messages]


# --- the reply language ---------------------------------------------------------------------------
def test_the_language_slot_takes_what_the_nlu_found() -> None:
    # The stub's slots are as before the mapping ran: still Indonesian.
    tracker = stub_tracker("N4?", "jlpt_levels", {"language": "id"}, **{REPLY_LANGUAGE_KEY: "en"})
    assert run(ActionSetReplyLanguage(), tracker) == ([], [SlotSet("language", "en")])


def test_the_language_slot_is_left_alone_when_the_nlu_could_not_tell_or_nothing_changed() -> None:
    assert run(ActionSetReplyLanguage(), stub_tracker("N4", "jlpt_levels", {"language": "en"})) == ([], [])
    same = stub_tracker("berapa biayanya", "titp_cost", {"language": "id"}, **{REPLY_LANGUAGE_KEY: "id"})
    assert run(ActionSetReplyLanguage(), same) == ([], [])


def test_a_language_button_sets_the_language_from_its_payload() -> None:
    # Payloads skip the NLU pipeline: no reply_language key, only the payload's entity.
    tracker = stub_tracker(
        '/set_language{"language": "en"}',
        "set_language",
        {"language": "id"},
        entities=[{"entity": "language", "value": "en"}],
    )
    assert run(ActionSetReplyLanguage(), tracker) == ([], [SlotSet("language", "en")])
    odd = stub_tracker(
        "/set_language", "set_language", {"language": "id"}, entities=[{"entity": "language", "value": "fr"}]
    )
    assert run(ActionSetReplyLanguage(), odd) == ([], [])


# --- menu and fallback ----------------------------------------------------------------------------
@pytest.mark.parametrize("action, key", [(ActionGreet(), "greeting"), (ActionShowCapabilities(), "capabilities")])
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_menu_has_the_topics_as_buttons_titled_from_the_knowledge(action: Action, key: str, language: str) -> None:
    [message], events = run(action, stub_tracker("/greet", "greet", {"language": language}))
    assert message["text"] == ui_text().get(key, language) and events == []
    kb = knowledge()
    assert message["buttons"] == [
        {"title": kb.answers[a].title[language], "payload": f"/{a}"} for a in ui_text().menu_answers
    ]


def test_an_unclear_message_is_answered_with_the_nearest_answers_and_a_way_out() -> None:
    tracker = stub_tracker(
        "brp lama prosesnya",
        "nlu_fallback",
        {"language": "id"},
        intent_ranking=[{"name": "nlu_fallback", "confidence": 0.3}, {"name": "salary", "confidence": 0.2}],
        **{CANDIDATES_KEY: ["process_steps", "titp_cost"]},
    )
    [message], _ = run(ActionClarify(), tracker)
    assert message["text"] == ui_text().get("clarify", "id")
    assert [b["payload"] for b in message["buttons"]] == ["/process_steps", "/titp_cost", "/salary", "/deny"]


def test_an_unclear_message_with_no_answer_near_gets_the_official_channels_response() -> None:
    [message], _ = run(ActionClarify(), stub_tracker("zzz qqq", "nlu_fallback", {"language": "en"}))
    assert message["response"] == "utter_official_channels" and message["text"] is None


def test_a_cut_message_is_warned_about_before_a_response() -> None:
    tracker = stub_tracker("x" * 50, "nlu_fallback", {"language": "en"}, **{TRUNCATED_KEY: True})
    warning, response = run(ActionClarify(), tracker)[0]
    assert warning["text"] == ui_text().get("too_long", "en") and response["response"] == "utter_official_channels"


# --- guidance -------------------------------------------------------------------------------------
def test_a_question_gets_its_answer_and_the_answer_is_remembered_for_source_and_yes() -> None:
    answer = knowledge().answers["titp_cost"]
    messages, events = run(ActionAnswerQuestion(), stub_tracker("biaya magang brp", "titp_cost"))
    assert messages[0]["text"] == answer.body("id")
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"/{a}" for a in answer.related]
    assert events == [SlotSet("last_answer", "titp_cost"), SlotSet("suggested_answer", answer.related[0])]


def test_yes_follows_the_suggested_answer_and_without_one_says_so() -> None:
    messages, events = run(ActionFollowSuggestion(), stub_tracker("iya", "affirm", {"suggested_answer": "jft_basic"}))
    assert messages[0]["text"] == knowledge().answers["jft_basic"].body("id")
    assert SlotSet("last_answer", "jft_basic") in events
    messages, events = run(ActionFollowSuggestion(), stub_tracker("yes", "affirm", {"language": "en"}))
    assert texts(messages) == [ui_text().get("affirm_without_context", "en")] and events == []


def test_the_source_is_the_last_answers_and_before_any_answer_it_says_so() -> None:
    [message], _ = run(ActionShowSource(), stub_tracker("sumbernya?", "ask_source", {"last_answer": "titp_cost"}))
    for source in knowledge().answers["titp_cost"].sources:
        assert source.url in message["text"]
    [message], _ = run(ActionShowSource(), stub_tracker("sumbernya?", "ask_source"))
    assert message["text"] == ui_text().get("no_source_yet", "id")


# --- offer form -----------------------------------------------------------------------------------
def test_an_offer_described_in_the_request_is_taken_and_a_bare_request_is_not() -> None:
    offer = "cek dong, LPK minta 35jt, visa turis, paspor ditahan, kontrak nanti"
    assert run(ActionPrefillOffer(), stub_tracker(offer, "check_offer"))[1] == [SlotSet(OFFER_SLOT, offer)]
    assert run(ActionPrefillOffer(), stub_tracker("cek tawaran kerja", "check_offer"))[1] == [SlotSet(OFFER_SLOT, None)]


def test_an_offer_too_short_to_check_is_asked_for_again_by_the_form_alone() -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateOfferForm().validate_offer_text("ok", dispatcher, stub_tracker("ok", "affirm"), {})
    assert result == {OFFER_SLOT: None} and dispatcher.messages == []  # utter_ask_offer_text asks
    text = "gaji 30 juta, berangkat bulan depan"
    assert ValidateOfferForm().validate_offer_text(text, dispatcher, stub_tracker(text, "check_offer"), {}) == {
        OFFER_SLOT: text
    }


# --- report form: the summary, cancelling ---------------------------------------------------------
def test_the_report_summary_shows_the_answers_with_send_edit_and_cancel() -> None:
    slots = {"report_what_happened": "LPK minta 30jt", "report_recruiter_kind": "lpk", "report_money": "-"}
    [message], events = run(ActionAskReportConfirm(), stub_tracker("ok", "affirm", slots, "report_form"))
    reports = report_texts().reports
    assert message["text"].startswith(reports["summary_header"]["id"])
    assert "• Jenis: LPK" in message["text"] and "• Uang: (dilewati)" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == [
        "send",
        "edit report_what_happened",
        "edit report_recruiter_kind",
        "edit report_money",
        "/cancel",
    ]
    assert events == []


def test_cancelling_says_so_and_forgets_every_answer() -> None:
    messages, events = run(ActionReportCancelled(), stub_tracker("batal", "cancel", {"report_money": "5jt"}))
    assert [m.get("response") for m in messages] == ["utter_report_cancelled"]
    cleared = {event["name"] for event in events if event["value"] is None}
    assert {"report_what_happened", "report_money", "report_contact", "status_case_code", "status_pin"} <= cleared


# --- status form ----------------------------------------------------------------------------------
def test_the_status_request_takes_code_and_pin_from_the_same_message() -> None:
    _, events = run(ActionPrefillStatus(), stub_tracker("cek status laporan k7qx-4m2p 482913", "check_report_status"))
    assert events == [SlotSet("status_case_code", "K7QX-4M2P"), SlotSet("status_pin", "482913")]
    _, events = run(ActionPrefillStatus(), stub_tracker("cek status laporan", "check_report_status"))
    assert events == [SlotSet("status_case_code", None), SlotSet("status_pin", None)]


def test_no_code_yet_is_asked_for_without_a_complaint_and_a_wrong_one_is_explained() -> None:
    form = ValidateStatusForm()
    tracker = stub_tracker("cek status laporan", "check_report_status")
    for slot in ("status_case_code", "status_pin"):
        dispatcher = CollectingDispatcher()
        assert getattr(form, f"validate_{slot}")(None, dispatcher, tracker, {}) == {slot: None}
        assert dispatcher.messages == []  # the form asks (utter_ask_status_*): nothing else is said
    dispatcher = CollectingDispatcher()
    assert form.validate_status_case_code("abc", dispatcher, stub_tracker("abc", "inform"), {}) == {
        "status_case_code": None
    }
    assert texts(dispatcher.messages) == [report_texts().text("status_bad_code", "id")]
    # A code in the right shape with a digit codes never use: the reply says which characters.
    dispatcher = CollectingDispatcher()
    assert form.validate_status_case_code("ABCD-1234", dispatcher, stub_tracker("ABCD-1234", "inform"), {}) == {
        "status_case_code": None
    }
    assert "0 dan 1 atau huruf I, L dan O" in texts(dispatcher.messages)[0]
    dispatcher = CollectingDispatcher()
    assert form.validate_status_pin("12", dispatcher, stub_tracker("12", "inform"), {}) == {"status_pin": None}
    assert texts(dispatcher.messages) == [report_texts().text("status_bad_pin", "id")]


# --- coverage -------------------------------------------------------------------------------------
def test_every_custom_action_is_run_by_a_unit_test() -> None:
    """An action added without a stub-tracker test fails here (the test files name the class)."""
    unit_tests = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests" / "unit").glob("test_*.py"))
    classes = set()
    for path in Path(actions.__file__).parent.glob("*.py"):
        classes |= set(re.findall(r"^class ((?:Action|Validate)\w+)\(", path.read_text(encoding="utf-8"), re.M))
    untested = sorted(name for name in classes if not re.search(rf"\b{name}\(\)", unit_tests))
    assert len(classes) >= 20 and not untested, untested
