"""What every action needs: the content, the reply language and a way to send messages."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import KnowledgeBase, configured_knowledge
from bot.language import SUPPORTED_LANGUAGES
from bot.replies import BotMessage, UiText, cached_ui_text
from bot.reports.texts import ReportTexts, load_report_texts
from bot.settings import get_settings
from bot.text_guard import TRUNCATED_KEY

LANGUAGE_SLOT = "language"
LAST_ANSWER_SLOT = "last_answer"
SUGGESTED_ANSWER_SLOT = "suggested_answer"
# Where the assistant sends users it cannot help itself; said by rules and by actions.
OFFICIAL_CHANNELS_RESPONSE = "utter_official_channels"


def knowledge() -> KnowledgeBase:
    return configured_knowledge()


def ui_text() -> UiText:
    return cached_ui_text(str(get_settings().content_dir / "ui.yml"))


def report_texts() -> ReportTexts:
    return load_report_texts(str(get_settings().content_dir))


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


# Replies are in Indonesian until the user clearly writes in English or asks for it; domain.yml's
# responses say the same (their variation without a condition is the Indonesian one).
DEFAULT_LANGUAGE = "id"


def reply_language(tracker: Tracker) -> str:
    """The language slot, which the NLU pipeline sets once per message (action_set_reply_language)."""
    language = tracker.get_slot(LANGUAGE_SLOT)
    return language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def warn_if_cut(dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> None:
    """Say first when the user's message was too long to read in full. Only actions say this:
    the long messages that get cut are stories and pasted offers, which actions answer."""
    if tracker.latest_message.get(TRUNCATED_KEY):
        dispatcher.utter_message(text=ui_text().get("too_long", language))


def send(dispatcher: CollectingDispatcher, tracker: Tracker, messages: Sequence[BotMessage], language: str) -> None:
    """Send one reply; warn first when the user's message was too long to read in full."""
    warn_if_cut(dispatcher, tracker, language)
    for message in messages:
        utter_bot_message(dispatcher, message)


def utter_bot_message(dispatcher: CollectingDispatcher, message: BotMessage) -> None:
    """One message as rasa_sdk sends it: text, buttons, and the custom payload if any."""
    kwargs: Dict[str, Any] = {"text": message.text}
    if message.buttons:
        kwargs["buttons"] = [{"title": b.title, "payload": b.payload} for b in message.buttons]
    if message.custom is not None:
        kwargs["json_message"] = dict(message.custom)
    dispatcher.utter_message(**kwargs)


def send_response(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> None:
    """Send one of domain.yml's responses (Rasa picks its variation for the language slot)."""
    warn_if_cut(dispatcher, tracker, reply_language(tracker))
    dispatcher.utter_message(response=response)
