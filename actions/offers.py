"""Checking a job offer the user describes: red flags, level, and an offer to report."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import (
    LAST_ANSWER_SLOT,
    knowledge,
    latest_text,
    reply_language,
    report_texts,
    send,
)
from bot.intents import OFFER_ROUTE_KEY
from bot.recruitment.extract import extract_offer_facts
from bot.recruitment.registry import RegistryEntry, load_registry_csv
from bot.recruitment.risk import RiskAssessment, assess_offer
from bot.recruitment.routing import describes_offer, offer_signals
from bot.replies import BotMessage, answer_reply
from bot.reports.answers import clean_text
from bot.reports.texts import offer_result
from bot.safe_logging import error_summary
from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.registry import load_registry

logger = logging.getLogger(__name__)
OFFER_SLOT = "offer_text"
# A message this long, or one in which any fact was found, is a description, not just a request.
MIN_DESCRIPTION_WORDS = 8


def is_description(text: str) -> bool:
    """Whether "check this offer" came with the offer itself (else the form asks for it); the
    same decision that routes a message to the check counts first."""
    facts = extract_offer_facts(text)
    if describes_offer(offer_signals(text, facts)):
        return True
    return len(text.split()) >= MIN_DESCRIPTION_WORDS or bool(facts.matched or facts.fees or facts.agencies)


def registry_entries() -> List[RegistryEntry]:
    """The licensed registry from the database; the configured CSV when the database is down,
    so an offer check never fails for lack of it."""
    try:
        with transaction() as session:
            entries = load_registry(session)
        if entries:
            return entries
    except SQLAlchemyError as error:
        logger.error("registry: database unavailable, using the CSV file: %s", error_summary(error))
    return load_registry_csv(get_settings().registry_csv)


def assess_text(text: str) -> RiskAssessment:
    return assess_offer(extract_offer_facts(text), registry_entries(), dt.date.today())


def routed_question(tracker: Tracker) -> Optional[str]:
    """The knowledge answer the user also asked for, when NLU sent a question with concrete facts
    ("LPK aku nahan ijazah, boleh ga?") to the offer check."""
    route = tracker.latest_message.get(OFFER_ROUTE_KEY) or {}
    intent = route.get("from_intent")
    return intent if route.get("question") and intent in knowledge() else None


def offer_check_messages(
    text: str, language: str, question: Optional[str] = None, offer_report: bool = True, brief: bool = False
) -> Tuple[RiskAssessment, List[BotMessage]]:
    """The check of ``text`` and, for a question that carried facts, the rule's answer too.
    Danger comes first: with signs of trafficking the check (emergency contacts) leads."""
    assessment = assess_text(text)
    check = offer_result(report_texts(), assessment, language, offer_report=offer_report, brief=brief)
    if question is None:
        return assessment, check
    answer = answer_reply(knowledge(), question, language)
    return assessment, ([*check, *answer] if assessment.level == "urgent" else [*answer, *check])


class ActionPrefillOffer(Action):
    """ "Is this offer safe? <description>": take the description from the same message."""

    def name(self) -> Text:
        return "action_prefill_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        text = clean_text(latest_text(tracker))
        return [SlotSet(OFFER_SLOT, text if is_description(text) else None)]


class ValidateOfferForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_offer_form"

    def validate_offer_text(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # Too short to check: the form asks again (utter_ask_offer_text).
        text = clean_text(str(slot_value or ""))
        return {OFFER_SLOT: text if len(text) >= 10 else None}


class ActionCheckOffer(Action):
    """Red flags with the rule each breaks, the level, the risk_assessment payload, and (when
    the level is high or urgent) an offer to report."""

    def name(self) -> Text:
        return "action_check_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        text = tracker.get_slot(OFFER_SLOT) or ""
        question = routed_question(tracker)
        assessment, messages = offer_check_messages(text, language, question)
        send(dispatcher, tracker, messages, language)
        events: List[Dict[Text, Any]] = [SlotSet("offer_level", assessment.level)]
        if question:
            events.append(SlotSet(LAST_ANSWER_SLOT, question))
        if assessment.level == "urgent":
            events.append(SlotSet("report_urgent", True))
        return events
