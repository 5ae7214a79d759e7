"""Plain decisions about intents and entities that the actions rely on."""
from __future__ import annotations

import re
from typing import Any, Iterable, List, Mapping, Optional, Sequence

from bot.language import SUPPORTED_LANGUAGES

FALLBACK_INTENT = "nlu_fallback"

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


def clarify_candidates(
    intent_ranking: Sequence[Mapping[str, Any]], answer_ids: Iterable[str], limit: int = 3
) -> List[str]:
    """The likeliest knowledge answers for an unclear message, best first."""
    known = set(answer_ids)
    candidates: List[str] = []
    for item in intent_ranking:
        name = item.get("name")
        if name in known and name not in candidates:
            candidates.append(str(name))
        if len(candidates) == limit:
            break
    return candidates
