"""Actions that answer knowledge questions from content/knowledge/*.yml."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    LAST_ANSWER_SLOT,
    OFFICIAL_CHANNELS_RESPONSE,
    SUGGESTED_ANSWER_SLOT,
    knowledge,
    latest_intent,
    reply_language,
    send,
    send_response,
    ui_text,
)
from bot.replies import answer_reply, source_reply, text_reply


def _answer(dispatcher: CollectingDispatcher, tracker: Tracker, answer_id: Optional[str]) -> List[Dict[Text, Any]]:
    kb = knowledge()
    language = reply_language(tracker)
    answer = kb.get(answer_id)
    if answer is None:
        # An intent without an answer would be a content bug: fall back to the help menu.
        send_response(dispatcher, tracker, OFFICIAL_CHANNELS_RESPONSE)
        return []
    send(dispatcher, tracker, answer_reply(kb, answer.id, language), language)
    suggestion = answer.related[0] if answer.related else None
    return [
        SlotSet(LAST_ANSWER_SLOT, answer.id),
        SlotSet(SUGGESTED_ANSWER_SLOT, suggestion),
    ]


class ActionAnswerQuestion(Action):
    """Answers the knowledge question named by the intent (answer id == intent name)."""

    def name(self) -> Text:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return _answer(dispatcher, tracker, latest_intent(tracker))


class ActionFollowSuggestion(Action):
    """ "Yes" after an answer: give the answer its next step suggested."""

    def name(self) -> Text:
        return "action_follow_suggestion"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        suggestion = tracker.get_slot(SUGGESTED_ANSWER_SLOT)
        if suggestion:
            return _answer(dispatcher, tracker, suggestion)
        language = reply_language(tracker)
        send(dispatcher, tracker, text_reply(ui_text(), "affirm_without_context", language), language)
        return []


class ActionShowSource(Action):
    """ "sumbernya?" / "source?": the sources and last-checked date of the last answer."""

    def name(self) -> Text:
        return "action_show_source"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        messages = source_reply(knowledge(), ui_text(), tracker.get_slot(LAST_ANSWER_SLOT), language)
        send(dispatcher, tracker, messages, language)
        return []
