"""bot/rasa_overrides.py: what the Rasa server changes in Rasa 3.6 (speed without a change of
behaviour, and turns that fail instead of forgetting the conversation when the store is down)."""
from __future__ import annotations

import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot.rasa_overrides import apply

apply()


def test_action_results_are_still_validated_with_rasas_hint() -> None:
    action = RemoteAction("action_check_offer", None)
    assert action._validate_action_result({"events": [], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_event_types_resolve_as_before_and_unknown_ones_still_fail() -> None:
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("no-such-event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no-such-event")


class BrokenStore(TrackerStore):
    async def retrieve(self, sender_id):  # type: ignore[override]
        raise ConnectionError("database down")

    async def save(self, tracker) -> None:  # type: ignore[override]
        raise ConnectionError("database down")


def test_a_failing_tracker_store_fails_the_turn_instead_of_starting_afresh() -> None:
    store = FailSafeTrackerStore(BrokenStore(None))
    with pytest.raises(ConnectionError):
        asyncio.run(store.retrieve("telegram:1"))
    with pytest.raises(ConnectionError):
        asyncio.run(store.save(object()))  # type: ignore[arg-type]
    assert store._fallback_tracker_store is None  # nothing went to process memory
