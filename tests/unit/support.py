"""Small helpers shared by the unit tests."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional

from rasa_sdk import Tracker

from bot.intents import reply_language_of


def with_reply_language(text: str, intent: str, slots: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The slots as an action sees them after Rasa has run the language slot's mapping for this
    message (bot/nlu_components.ReplyLanguageDetector, then action_set_reply_language)."""
    slots = dict(slots or {})
    language = reply_language_of(intent, [], text)
    if language:
        slots["language"] = language
    return slots


def stub_tracker(
    text: str, intent: str, slots: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None, **message: Any
) -> Tracker:
    """rasa_sdk's Tracker as an action receives it for ``text`` (no events), for actions tested
    without a trained model."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [], **message}
    return Tracker(
        "stub-user",
        with_reply_language(text, intent, slots),
        latest,
        [],
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def yaml_strings(node: Any) -> Iterator[str]:
    """Every text in a YAML tree (comments are not data, so they are not included)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from yaml_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from yaml_strings(value)
