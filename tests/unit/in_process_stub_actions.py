"""Actions for tests/unit/test_in_process_actions.py: one that answers and sets a slot from what
it was given, the one that blocks from tests/unit/slow_actions.py (as a slow database call would),
a validator that rejects, one that fails with the user's words in its error, and others that
misbehave."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from tests.unit.slow_actions import ActionBlockThreeSeconds  # noqa: F401 - registered from this package too


class ActionEchoWhatItGot(Action):
    def name(self) -> Text:
        return "action_echo_what_it_got"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text=f"you said: {tracker.latest_message.get('text')}", buttons=[{"title": "ok", "payload": "/affirm"}]
        )
        dispatcher.utter_message(response="utter_stub_greet")
        return [SlotSet("language", "en"), SlotSet("seen_forms", sorted(domain.get("forms", {})))]


class ActionRejectTheInput(Action):
    def name(self) -> Text:
        return "action_reject_the_input"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        raise ActionExecutionRejection(self.name(), "not a form answer")


class ActionFailWithTheUsersWords(Action):
    def name(self) -> Text:
        return "action_fail_with_the_users_words"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        raise RuntimeError(f"cannot store {tracker.latest_message.get('text')}")


class ActionChangeWhatItWasGiven(Action):
    """Changes the domain, a slot's value and the latest message it got (and sets a slot to a set)."""

    def name(self) -> Text:
        return "action_change_what_it_was_given"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        domain["forms"]["stub_form"]["required_slots"].append("hacked")
        tracker.slots["seen_forms"].append("hacked")
        tracker.latest_message["entities"].append({"entity": "hacked"})
        return []


class ActionAnswerWithASet(Action):
    def name(self) -> Text:
        return "action_answer_with_a_set"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return [SlotSet("seen_forms", {"a", "b"})]


class ActionLeaveATaskBehind(Action):
    started: List[Any] = []

    def name(self) -> Text:
        return "action_leave_a_task_behind"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        import asyncio

        async def forever() -> None:
            await asyncio.sleep(3600)

        self.started.append(asyncio.ensure_future(forever()))
        return []
