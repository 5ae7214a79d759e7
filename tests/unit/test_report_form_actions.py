"""The report form's validator (actions/reports.py ValidateReportForm) with stub trackers and
rasa_sdk's own dispatcher: skip, correction, re-asks, the emergency path and the confirmation,
without a trained model. The form's slots are one list (bot/reports/draft.py), checked against
the domain here."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import report_texts
from actions.reports import CONFIRM_SLOT, EMERGENCY_SENT_SLOT, MONEY_IDR_SLOT, URGENT_SLOT, ValidateReportForm
from bot.reports.answers import SKIPPED
from bot.reports.draft import FORM_SLOTS, OPTIONAL_SLOTS
from tests.unit.support import stub_tracker

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
FORM = ValidateReportForm()


def stub(text: str, slots: Optional[Dict[str, Any]] = None, language: str = "id") -> Tracker:
    return stub_tracker(text, "inform", {"language": language, **(slots or {})}, "report_form")


def validate(
    slot: str, value: Any, slots: Optional[Dict[str, Any]] = None, language: str = "id"
) -> Tuple[Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    result = getattr(FORM, f"validate_{slot}")(value, dispatcher, stub(str(value), slots, language), {})
    return result, [message.get("text") or "" for message in dispatcher.messages]


def reask(key: str, language: str = "id") -> str:
    return report_texts().reports["reasks"][key][language]


def test_the_forms_slots_are_one_list_and_every_one_has_its_validator_method() -> None:
    assert DOMAIN["forms"]["report_form"]["required_slots"] == [*FORM_SLOTS, CONFIRM_SLOT]
    for slot in [*FORM_SLOTS, CONFIRM_SLOT]:
        assert f"validate_{slot}" in vars(ValidateReportForm), slot  # written as methods, findable by name


@pytest.mark.parametrize("slot", sorted(OPTIONAL_SLOTS))
def test_optional_questions_can_be_skipped(slot: str) -> None:
    assert validate(slot, "lewati") == ({slot: SKIPPED}, [])


def test_a_required_question_cannot_be_skipped_and_says_why() -> None:
    result, said = validate("report_what_happened", "skip")
    assert result == {"report_what_happened": None} and said == [reask("required")]
    _, said_en = validate("report_what_happened", "skip", language="en")
    assert said_en == [reask("required", "en")]


def test_a_correction_clears_this_question_and_the_previous_one() -> None:
    result, said = validate("report_location", "salah, ulang", {"report_recruiter_phone": "+6281234567890"})
    assert result == {"report_location": None, "report_recruiter_phone": None}
    assert said == [report_texts().text("correction_previous", "id")]


@pytest.mark.parametrize(
    "slot, unreadable, hint",
    [
        ("report_what_happened", "tolong", "report_what_happened"),
        ("report_recruiter_kind", "hmm", "report_recruiter_kind"),
        ("report_recruiter_phone", "nomornya lupa kak", "report_recruiter_phone"),
        ("report_location", "???", "report_location"),
        ("report_reporter_location", "???", "report_reporter_location"),
        ("report_consent_contact", "hmm", "yes_no"),
        ("report_anonymous", "hmm", "yes_no"),
        ("report_contact", "nanti aja", "report_contact"),
    ],
)
def test_answers_that_cannot_be_read_are_asked_again_with_their_own_hint(slot: str, unreadable: str, hint: str) -> None:
    assert validate(slot, unreadable) == ({slot: None}, [reask(hint)])


def test_read_answers_are_kept_as_read() -> None:
    assert validate("report_anonymous", "iya")[0] == {"report_anonymous": True}
    assert validate("report_consent_contact", "ga mau")[0] == {"report_consent_contact": False}
    assert validate("report_anonymous", True)[0] == {"report_anonymous": True}  # already read, form re-activated
    money, said = validate("report_money", "aku transfer 15 juta ke calo")
    assert said == [] and money["report_money"] == "aku transfer 15 juta ke calo"
    assert money[MONEY_IDR_SLOT] == 15_000_000.0
    assert validate("report_documents", "ga ada")[0] == {"report_documents": SKIPPED}


def test_feeling_unsafe_sends_the_emergency_contacts_once_and_makes_the_report_urgent() -> None:
    result, said = validate("report_reporter_safe", "tidak aman")
    assert result == {"report_reporter_safe": False, URGENT_SLOT: True, EMERGENCY_SENT_SLOT: True}
    assert said == [report_texts().text("emergency", "id")]  # the one emergency message, nothing else
    assert "110 (polisi)" in said[0] and "KP2MI 0-800-1000" in said[0]
    again, said_again = validate("report_reporter_safe", "tidak aman", {EMERGENCY_SENT_SLOT: True})
    assert again == {"report_reporter_safe": False, URGENT_SLOT: True} and said_again == []


def test_the_confirmation_sends_edits_or_asks_again() -> None:
    assert validate(CONFIRM_SLOT, "kirim")[0] == {CONFIRM_SLOT: "send"}
    assert validate(CONFIRM_SLOT, "ya")[0] == {CONFIRM_SLOT: "send"}
    # The summary's "edit" buttons name the question to answer again.
    assert validate(CONFIRM_SLOT, "edit report_location")[0] == {"report_location": None, CONFIRM_SLOT: None}
    assert validate(CONFIRM_SLOT, "edit not_a_slot")[0] == {CONFIRM_SLOT: None}
    result, said = validate(CONFIRM_SLOT, "apa ya")
    assert result == {CONFIRM_SLOT: None} and said == [reask("yes_no")]


def test_the_contact_question_is_asked_only_of_who_agreed_and_is_not_anonymous() -> None:
    def slots_asked(values: Dict[str, Any]) -> List[str]:
        return asyncio.run(FORM.required_slots([], CollectingDispatcher(), stub("x", values), {}))

    assert "report_contact" in slots_asked({"report_consent_contact": True, "report_anonymous": False})
    assert "report_contact" not in slots_asked({"report_consent_contact": True, "report_anonymous": True})
    assert slots_asked({})[-1] == CONFIRM_SLOT
