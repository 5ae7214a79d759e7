"""Custom NLU pipeline components that keep odd input from reaching the classifiers as noise.

* ``LongTextGuard`` (first in the pipeline) cuts very long messages before tokenising: a pasted
  5,000-character text would otherwise cost seconds of featurising and classify no better.
  The full text stays in the tracker, so actions that read it still see everything.
* ``NonTextIntentClassifier`` turns messages without a single letter or digit (empty,
  emoji-only, stickers sent as text) into the ``non_text`` intent, instead of letting the model
  guess an intent from nothing. It also applies stricter thresholds to intents that change the
  course of a conversation ("yes" follows a suggestion): below them the message is unclear.
* ``KnowledgeRetrievalClassifier`` is the second stage for unclear messages: it looks for the
  nearest answers in the knowledge itself (bot/retrieval.py) before the assistant gives up, and
  keeps small-talk intents from swallowing real questions.
* ``OfferRoutingClassifier`` (last) sends every message that describes a concrete offer or
  situation to the offer check, whatever intent was picked (bot/recruitment/routing.py); the
  question it also asked is kept under ``offer_route`` so the action can answer it too.
* ``ReplyLanguageDetector`` (after the intent is known) says once per message which language the
  reply should be in (``reply_language``: the language asked for, or the one the message is
  clearly written in). The ``language`` slot takes it (domain.yml), so every response and action
  reads the same language from the slot instead of guessing again.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.intents import (
    CANDIDATES_KEY,
    FALLBACK_INTENT,
    OFFER_ROUTE_KEY,
    QUESTION_GUESS_KEY,
    REPLY_LANGUAGE_KEY,
    RETRIEVAL_KEY,
    reply_language_of,
)
from bot.knowledge import configured_knowledge
from bot.recruitment.extract import extract_offer_facts
from bot.recruitment.routing import asks_about_offers, offer_signals, route_to_offer_check
from bot.retrieval import (
    DOUBTFUL_CONFIDENCE,
    SMALL_TALK_INTENTS,
    KnowledgeRetriever,
    decide,
    documents_for,
    keyword_documents,
    looks_like_question,
    question_guess,
)
from bot.safe_logging import error_summary
from bot.text_guard import MAX_READ_CHARS, TRUNCATED_KEY, cut_long_text, has_readable_text

logger = logging.getLogger(__name__)
NON_TEXT_INTENT = "non_text"
OFFER_INTENT = "check_offer"


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
            elif (intent.get("confidence") or 0.0) < self.intent_thresholds.get(intent.get("name") or "", 0.0):
                unclear = {"name": FALLBACK_INTENT, "confidence": self.intent_thresholds[intent["name"]]}
                message.set(INTENT, unclear, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [unclear, *(message.get(INTENT_RANKING_KEY) or [])], add_to_output=True)
        return messages


def _set_intent(message: Message, name: str, confidence: float) -> None:
    intent = {"name": name, "confidence": float(confidence)}
    ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class KnowledgeRetrievalClassifier(GraphComponent):
    """Trains by remembering the example questions of every knowledge intent; at run time
    indexes them with the answers' titles and texts (read from the content, so edited answers
    count without retraining)."""

    _FILE = "examples.json"

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, examples: Optional[Dict[str, List[str]]] = None
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._examples = examples or {}
        self._retriever: Optional[KnowledgeRetriever] = None
        self._knowledge_intents: frozenset = frozenset()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KnowledgeRetrievalClassifier":
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "KnowledgeRetrievalClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                examples = json.loads((directory / cls._FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            # A model trained without this component still answers; only the second stage is off.
            logger.warning("knowledge retrieval: no stored examples, using answer texts only")
            examples = {}
        component = cls(model_storage, resource, examples)
        component._index()  # build the index now, not on a user's first unclear message
        return component

    def train(self, training_data: TrainingData) -> Resource:
        answer_ids = set(configured_knowledge().answers)
        examples: Dict[str, List[str]] = {}
        for example in training_data.intent_examples:
            intent = example.get(INTENT)
            if intent in answer_ids and example.get(TEXT):
                examples.setdefault(intent, []).append(example.get(TEXT))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self._FILE).write_text(json.dumps(examples, ensure_ascii=False), encoding="utf-8")
        self._examples = examples
        return self._resource

    def _index(self) -> KnowledgeRetriever:
        if self._retriever is None:
            kb = configured_knowledge()
            texts = {
                answer.id: [*answer.title.values(), *answer.text.values(), *keyword_documents(answer.keywords)]
                for answer in kb.answers.values()
            }
            self._retriever = KnowledgeRetriever(documents_for(self._examples, texts))
            self._knowledge_intents = frozenset(kb.answers)
        return self._retriever

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                self._process_one(message)
            except Exception as error:  # noqa: BLE001 - a second stage must never break a message
                logger.error("knowledge retrieval skipped: %s", error_summary(error))
        return messages

    def _process_one(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        name: str = intent.get("name") or ""
        text = message.get(TEXT) or ""
        if text.startswith(INTENT_MESSAGE_PREFIX):
            return  # a button payload ("/ask_salary") names its intent itself
        doubtful = name in self._knowledge_intents and (intent.get("confidence") or 0.0) < DOUBTFUL_CONFIDENCE
        unsure = name == FALLBACK_INTENT or (name in SMALL_TALK_INTENTS and looks_like_question(text)) or doubtful
        offer_question = name == OFFER_INTENT and looks_like_question(text)
        if not has_readable_text(text) or not (unsure or offer_question):
            return  # a real intent the classifier was sure of, or plain small talk
        retriever = self._index()
        ranking = [(item.get("name"), item.get("confidence") or 0.0) for item in message.get(INTENT_RANKING_KEY) or []]
        if offer_question:
            # "is a 30jt LPK fee normal, what does it cover?" asks a question besides the check:
            # remember which answer, for the routing after this component.
            guess = question_guess(ranking, retriever.search(text), self._knowledge_intents, text)
            if guess is not None:
                message.set(QUESTION_GUESS_KEY, guess.answer_id, add_to_output=True)
            return
        decision = decide(
            name, intent.get("confidence") or 0.0, ranking, retriever.search(text), self._knowledge_intents, text
        )
        message.set(CANDIDATES_KEY, list(decision.candidates), add_to_output=True)
        if decision.intent != name:
            _set_intent(message, decision.intent, decision.confidence)
        if decision.source == "retrieval":
            message.set(RETRIEVAL_KEY, {"from_intent": name}, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class OfferRoutingClassifier(_Stateless):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                self._process_one(message)
            except Exception as error:  # noqa: BLE001 - routing must never break a message
                logger.error("offer routing skipped: %s", error_summary(error))
        return messages

    @staticmethod
    def _process_one(message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = message.get(INTENT) or {}
        name = intent.get("name")
        if not has_readable_text(text) or text.startswith(INTENT_MESSAGE_PREFIX):
            return
        signals = offer_signals(text, extract_offer_facts(text))
        guess = message.get(QUESTION_GUESS_KEY)
        if name == OFFER_INTENT and guess:
            if asks_about_offers(signals):
                # A general question about offers ("how can I tell a job offer is a scam?")
                # describes none to check: it gets its answer.
                _set_intent(message, guess, intent.get("confidence") or 0.0)
            else:
                message.set(OFFER_ROUTE_KEY, {"from_intent": guess, "question": True}, add_to_output=True)
        elif route_to_offer_check(name, signals):
            # Only a message asked as a question gets the classifier's answer besides the check:
            # "aku ditawarin kerja… visa turis" tells a case, it asks for no FAQ.
            message.set(OFFER_ROUTE_KEY, {"from_intent": name, "question": signals.question_form}, add_to_output=True)
            _set_intent(message, OFFER_INTENT, 1.0)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ReplyLanguageDetector(_Stateless):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith(INTENT_MESSAGE_PREFIX):
                continue  # a button's "/intent" payload says nothing about the user's language
            intent = (message.get(INTENT) or {}).get("name")
            language = reply_language_of(intent, message.get(ENTITIES) or [], text)
            if language:
                message.set(REPLY_LANGUAGE_KEY, language, add_to_output=True)
        return messages
