"""Custom NLU pipeline components that keep odd input from reaching the classifiers as noise.

* ``LongTextGuard`` (first in the pipeline) cuts very long messages before tokenising: a pasted
  5,000-character text would otherwise cost seconds of featurising and classify no better.
  The full text stays in the tracker, so actions that read it still see everything.
* ``NonTextIntentClassifier`` (last) turns messages without a single letter or digit (empty,
  emoji-only, stickers sent as text) into the ``non_text`` intent, instead of letting the model
  guess an intent from nothing. It also applies stricter thresholds to intents that change the
  course of a conversation ("yes" follows a suggestion): below them the message is unclear.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text_guard import MAX_READ_CHARS, TRUNCATED_KEY, cut_long_text, has_readable_text

NON_TEXT_INTENT = "non_text"


class _Stateless(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls.from_config(config)

    @classmethod
    def from_config(cls, config: Dict[Text, Any]) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Training examples are short texts with letters; nothing to guard against.
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class LongTextGuard(_Stateless):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                # A channel that sends no text at all (None) must not break the extractors.
                message.set(TEXT, "")
            elif len(text) > MAX_READ_CHARS:
                message.set(TEXT, cut_long_text(text))
                message.set(TRUNCATED_KEY, True, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NonTextIntentClassifier(_Stateless):
    def __init__(self, intent_thresholds: Dict[Text, float] | None = None) -> None:
        self.intent_thresholds = dict(intent_thresholds or {})

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent_thresholds": {}}

    @classmethod
    def from_config(cls, config: Dict[Text, Any]) -> "NonTextIntentClassifier":
        return cls(config.get("intent_thresholds"))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if not has_readable_text(message.get(TEXT)):
                message.set(INTENT, {"name": NON_TEXT_INTENT, "confidence": 1.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
            elif (intent.get("confidence") or 0.0) < self.intent_thresholds.get(intent.get("name"), 0.0):
                unclear = {"name": "nlu_fallback", "confidence": self.intent_thresholds[intent["name"]]}
                message.set(INTENT, unclear, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [unclear, *(message.get(INTENT_RANKING_KEY) or [])], add_to_output=True)
        return messages
