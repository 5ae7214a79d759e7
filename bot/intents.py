"""Plain decisions about intents and entities that the actions rely on."""

from __future__ import annotations

import re
from typing import Any, Iterable, List, Mapping, Optional, Sequence

from bot.language import SUPPORTED_LANGUAGES, detect_language

FALLBACK_INTENT = "nlu_fallback"
# Keys the NLU pipeline (bot/nlu_components.py) adds to a parsed message; actions read them
# from the tracker's latest_message.
CANDIDATES_KEY = "knowledge_candidates"  # nearest answers for "did you mean", best first
OFFER_ROUTE_KEY = "offer_route"  # {"from_intent": ...}: routed to the offer check from this intent
RETRIEVAL_KEY = "retrieval"  # {"from_intent": ...}: the answer was found by the second stage
QUESTION_GUESS_KEY = "question_guess"  # a knowledge answer an offer-check request also asks for
REPLY_LANGUAGE_KEY = "reply_language"  # "id" or "en" when the message says which; the language slot follows
SET_LANGUAGE_INTENT = "set_language"

_LANGUAGE_WORDS = {
    "en": re.compile(r"\b(english|inggris|inggeris|englis|eng)\b", re.IGNORECASE),
    "id": re.compile(r"\b(indonesia|indo|indonesian|bahasa)\b", re.IGNORECASE),
}


def requested_language(entities: Iterable[Mapping[str, Any]], text: str) -> Optional[str]:
    """The language the user asked to switch to, from the ``language`` entity or the words used."""
    for entity in entities:
        if entity.get("entity") == "language" and entity.get("value") in SUPPORTED_LANGUAGES:
            return str(entity["value"])
    # English first: "ganti bahasa inggris" names both "bahasa" and "inggris".
    for language in ("en", "id"):
        if _LANGUAGE_WORDS[language].search(text or ""):
            return language
    return None


def reply_language_of(intent: Optional[str], entities: Iterable[Mapping[str, Any]], text: str) -> Optional[str]:
    """The language the reply to this message should be in, or None to keep the conversation's:
    the one asked for ("in English please"), else the one the message is clearly written in."""
    if intent == SET_LANGUAGE_INTENT:
        requested = requested_language(entities, text)
        if requested:
            return requested
    return detect_language(text)


def clarify_candidates(
    intent_ranking: Sequence[Mapping[str, Any]],
    answer_ids: Iterable[str],
    limit: int = 3,
    retrieved: Sequence[str] = (),
) -> List[str]:
    """The likeliest knowledge answers for an unclear message, best first: the nearest answers
    the retriever found, then the classifier's ranking."""
    known = set(answer_ids)
    candidates: List[str] = [name for name in retrieved if name in known][:limit]
    for item in intent_ranking:
        if len(candidates) >= limit:
            break
        name = item.get("name")
        if name in known and name not in candidates:
            candidates.append(str(name))
    return candidates


# The action that erases the user's conversation ("hapus data saya"), after they confirmed. The
# tracker store (bot/storage/tracker_store.py) sees it among a turn's new events and deletes the
# whole stored conversation instead of saving it.
ERASE_DATA_ACTION = "action_erase_my_data"
