"""Small helpers shared by the unit tests."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional

from rasa_sdk import Tracker


def stub_tracker(
    text: str, intent: str, slots: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None, **message: Any
) -> Tracker:
    """rasa_sdk's Tracker as an action receives it for ``text`` (no events), for actions tested
    without a trained model."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [], **message}
    return Tracker(
        "stub-user",
        dict(slots or {}),
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
