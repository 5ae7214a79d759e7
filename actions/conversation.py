"""Actions for the turns around the answers that need code: the topic menu, the reply language,
the "did you mean" fallback. Fixed replies (goodbye, thanks, small talk...) are domain.yml responses."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    LANGUAGE_SLOT,
    OFFICIAL_CHANNELS_RESPONSE,
    knowledge,
    latest_intent,
    reply_language,
    send,
    send_response,
    ui_text,
)
from bot.intents import (
    CANDIDATES_KEY,
    REPLY_LANGUAGE_KEY,
    SET_LANGUAGE_INTENT,
    clarify_candidates,
    requested_language,
)
from bot.language import SUPPORTED_LANGUAGES
from bot.replies import clarify_reply, menu_reply


class _MenuReply:
    """A UI text with the topic buttons. An action, not a domain response, because the buttons are
    the answers' own titles in the knowledge (bot/knowledge.py): a title changed there changes the
    menu too, with no second copy in domain.yml to forget."""

    ui_key = ""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        send(dispatcher, tracker, menu_reply(knowledge(), ui_text(), self.ui_key, language), language)
        return []


class ActionGreet(_MenuReply, Action):
    ui_key = "greeting"

    def name(self) -> Text:
        return "action_greet"


class ActionShowCapabilities(_MenuReply, Action):
    ui_key = "capabilities"

    def name(self) -> Text:
        return "action_show_capabilities"


class ActionSetReplyLanguage(Action):
    """The language slot's mapping (domain.yml), run by Rasa after every user message: it takes the
    reply language the NLU pipeline found (bot/nlu_components.ReplyLanguageDetector). Button
    payloads ("/set_language{"language": "en"}") skip the NLU pipeline, so for them the language
    is the payload's entity."""

    def name(self) -> Text:
        return "action_set_reply_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        message = tracker.latest_message or {}
        language = message.get(REPLY_LANGUAGE_KEY)
        if language is None and latest_intent(tracker) == SET_LANGUAGE_INTENT:
            language = requested_language(message.get("entities") or [], "")
        if language not in SUPPORTED_LANGUAGES or language == tracker.get_slot(LANGUAGE_SLOT):
            return []
        return [SlotSet(LANGUAGE_SLOT, language)]


class ActionClarify(Action):
    """Low NLU confidence: ask "did you mean ...?" with up to three answers as buttons.

    Not Rasa's action_two_stage_fallback, on purpose: that one asks to confirm the single top
    intent by name and then holds the user in a loop (affirm / rephrase) until it gives up. Our
    users' unclear messages are mostly real questions in words the classifier has not seen, so the
    likeliest answers the retriever found are offered at once, and whatever the user types next is
    read as a new message. An unclear message right after this one, or "none of these", gets the
    official channels (two rules in stories/rules.yml); so does an unclear message with no answer
    near it."""

    def name(self) -> Text:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        kb = knowledge()
        candidates = clarify_candidates(
            tracker.latest_message.get("intent_ranking") or [],
            kb.answers,
            retrieved=tracker.latest_message.get(CANDIDATES_KEY) or (),
        )
        if not candidates:
            send_response(dispatcher, tracker, OFFICIAL_CHANNELS_RESPONSE)
        else:
            send(dispatcher, tracker, clarify_reply(kb, ui_text(), candidates, language), language)
        return []
