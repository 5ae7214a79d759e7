"""Actions for the turns around the answers: greeting, help, small talk, language, fallbacks."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LANGUAGE_SLOT, knowledge, language_events, latest_text, reply_language, send, ui_text
from bot.intents import CANDIDATES_KEY, clarify_candidates, requested_language
from bot.replies import clarify_reply, menu_reply, text_reply


class _MenuReply:
    """A UI text with the topic buttons."""

    ui_key = ""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        send(dispatcher, tracker, menu_reply(knowledge(), ui_text(), self.ui_key, language), language)
        return language_events(tracker, language)


class _TextReply:
    """A fixed UI text from content/ui.yml in the user's language."""

    ui_key = ""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        send(dispatcher, tracker, text_reply(ui_text(), self.ui_key, language), language)
        return language_events(tracker, language)


class ActionGreet(_MenuReply, Action):
    ui_key = "greeting"

    def name(self) -> Text:
        return "action_greet"


class ActionShowCapabilities(_MenuReply, Action):
    ui_key = "capabilities"

    def name(self) -> Text:
        return "action_show_capabilities"


class ActionReplyGoodbye(_TextReply, Action):
    ui_key = "goodbye"

    def name(self) -> Text:
        return "action_reply_goodbye"


class ActionReplyThank(_TextReply, Action):
    ui_key = "thank"

    def name(self) -> Text:
        return "action_reply_thank"


class ActionReplyBotChallenge(_TextReply, Action):
    ui_key = "bot_challenge"

    def name(self) -> Text:
        return "action_reply_bot_challenge"


class ActionReplyChitchat(_TextReply, Action):
    ui_key = "chitchat"

    def name(self) -> Text:
        return "action_reply_chitchat"


class ActionReplyOutOfScope(_TextReply, Action):
    ui_key = "out_of_scope"

    def name(self) -> Text:
        return "action_reply_out_of_scope"


class ActionReplyNonText(_TextReply, Action):
    ui_key = "non_text"

    def name(self) -> Text:
        return "action_reply_non_text"


class ActionReplyDeny(_TextReply, Action):
    ui_key = "deny_without_context"

    def name(self) -> Text:
        return "action_reply_deny"


class ActionOfferOfficialChannels(_TextReply, Action):
    """When the assistant cannot tell what the user needs: send them to people who can."""

    ui_key = "official_channels"

    def name(self) -> Text:
        return "action_offer_official_channels"


class ActionSetLanguage(Action):
    """ "in English please" / "bahasa indonesia aja": switch the reply language."""

    def name(self) -> Text:
        return "action_set_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        requested = requested_language(tracker.latest_message.get("entities") or [], latest_text(tracker))
        language = requested or reply_language(tracker)
        send(dispatcher, tracker, text_reply(ui_text(), "language_set", language), language)
        return [SlotSet(LANGUAGE_SLOT, language)]


def _previous_bot_action(tracker: Tracker) -> Optional[str]:
    """The last action before the current user message (ignoring listen and slot events)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


class ActionClarify(Action):
    """Low NLU confidence: ask "did you mean ...?"; the second time in a row, offer official channels."""

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
        if not candidates or _previous_bot_action(tracker) == self.name():
            send(dispatcher, tracker, text_reply(ui_text(), "official_channels", language), language)
        else:
            send(dispatcher, tracker, clarify_reply(kb, ui_text(), candidates, language), language)
        return language_events(tracker, language)
