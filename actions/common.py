"""What every action needs: the content, the reply language and a way to send messages."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import KnowledgeBase, configured_knowledge
from bot.language import choose_language
from bot.replies import BotMessage, UiText, cached_ui_text
from bot.reports.texts import ReportTexts, load_report_texts
from bot.settings import get_settings
from bot.text_guard import TRUNCATED_KEY

LANGUAGE_SLOT = "language"
LAST_ANSWER_SLOT = "last_answer"
SUGGESTED_ANSWER_SLOT = "suggested_answer"


def knowledge() -> KnowledgeBase:
    return configured_knowledge()


def ui_text() -> UiText:
    return cached_ui_text(str(get_settings().content_dir / "ui.yml"))


def report_texts() -> ReportTexts:
    return load_report_texts(str(get_settings().content_dir))


class ReportTextReply:
    """Mixin for actions that only say one text from content/reports.yml (``text_key``)."""

    text_key = ""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        language = reply_language(tracker)
        send(dispatcher, tracker, [BotMessage(report_texts().text(self.text_key, language))], language)
        return language_events(tracker, language)


def latest_text(tracker: Tracker) -> str:
    """What the user wrote last, in full. The NLU reads at most MAX_READ_CHARS of a long message
    (bot/nlu_components.LongTextGuard) and the parse data carries that cut text, so the text is
    taken from the user event, which keeps the original: a long story's last lines are often
    where its red flags and its question are."""
    text = tracker.latest_message.get("text") or ""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            original = event.get("text") or ""
            if len(original) > len(text) and original.startswith(text[:50]):
                text = original
            break
    # Button presses arrive as "/intent" payloads: they say nothing about the user's language.
    return "" if text.startswith("/") else text


def client_key(tracker: Tracker) -> Optional[str]:
    """The REST caller's address key (bot/channels/rest.py puts it in the message metadata), for
    per-address limits; None on Telegram and WhatsApp, whose sender ids the platforms vouch for."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            value = (event.get("metadata") or {}).get("client")
            return str(value)[:64] if value else None
    return None


def reply_language(tracker: Tracker) -> str:
    return choose_language(latest_text(tracker), tracker.get_slot(LANGUAGE_SLOT), get_settings().default_language)


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def send(dispatcher: CollectingDispatcher, tracker: Tracker, messages: Sequence[BotMessage], language: str) -> None:
    """Send one reply; warn first when the user's message was too long to read in full."""
    if tracker.latest_message.get(TRUNCATED_KEY):
        dispatcher.utter_message(text=ui_text().get("too_long", language))
    for message in messages:
        kwargs: Dict[str, Any] = {"text": message.text}
        if message.buttons:
            kwargs["buttons"] = [{"title": b.title, "payload": b.payload} for b in message.buttons]
        if message.custom is not None:
            kwargs["json_message"] = dict(message.custom)
        dispatcher.utter_message(**kwargs)


def language_events(tracker: Tracker, language: str) -> List[Dict[str, Any]]:
    """Remember the reply language only when it changed (keeps the tracker small)."""
    if tracker.get_slot(LANGUAGE_SLOT) == language:
        return []
    return [SlotSet(LANGUAGE_SLOT, language)]
