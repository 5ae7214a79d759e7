"""Two actions for tests/unit/test_action_server.py: one that blocks (as a slow database call
would), one that answers at once."""

import time
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionBlockThreeSeconds(Action):
    def name(self) -> Text:
        return "action_block_three_seconds"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        time.sleep(3)  # synchronous on purpose
        return []


class ActionAnswerAtOnce(Action):
    def name(self) -> Text:
        return "action_answer_at_once"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return []
