"""The knowledge base: answers kept as data in ``content/knowledge/*.yml`` (one topic per file).

Each answer carries Indonesian and English text, the next step to suggest, related answers
(offered as buttons), its public sources and the date it was last checked. This module loads
and validates that data and turns an answer into plain message parts; it knows nothing about
Rasa or any channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import yaml

from bot.language import SUPPORTED_LANGUAGES
from bot.settings import get_settings

# WhatsApp reply-button titles are limited to 20 characters; we use titles as button labels.
MAX_TITLE_CHARS = 20
# One reply (answer text plus next step) must fit a phone screen without becoming a wall of text.
MAX_ANSWER_CHARS = 900
MAX_RELATED = 3


class ContentError(ValueError):
    """The content data is malformed; raised at load time so a bad file never reaches users."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Answer:
    id: str
    topic: str
    title: Mapping[str, str]
    text: Mapping[str, str]
    next_step: Mapping[str, str]
    related: Tuple[str, ...]
    sources: Tuple[Source, ...]
    last_checked: dt.date
    caveats: Tuple[str, ...] = ()
    # Words users type for this topic (slang, Japanese and regional terms) that the answer text
    # itself may not use; the retriever for unclear messages indexes them (bot/retrieval.py).
    keywords: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)

    def body(self, language: str) -> str:
        """The answer text followed by its next step, in one language."""
        return f"{self.text[language].strip()}\n\n{self.next_step[language].strip()}"


@dataclass(frozen=True)
class Topic:
    id: str
    title: Mapping[str, str]
    answer_ids: Tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    topics: Tuple[Topic, ...]
    answers: Mapping[str, Answer]

    def get(self, answer_id: Optional[str]) -> Optional[Answer]:
        if not answer_id:
            return None
        return self.answers.get(answer_id)

    def __contains__(self, answer_id: object) -> bool:
        return answer_id in self.answers


def _bilingual(raw: object, where: str, max_chars: Optional[int] = None) -> Dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ContentError(f"{where}: expected a mapping with keys {SUPPORTED_LANGUAGES}")
    result: Dict[str, str] = {}
    for language in SUPPORTED_LANGUAGES:
        value = raw.get(language)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{where}: missing the '{language}' text")
        if max_chars is not None and len(value.strip()) > max_chars:
            raise ContentError(f"{where}.{language}: {len(value.strip())} characters, at most {max_chars}")
        result[language] = value.strip()
    return result


MAX_KEYWORDS = 40


def _keywords(raw: object, where: str) -> Dict[str, Tuple[str, ...]]:
    """Optional ``keywords: {id: [...], en: [...]}``: short terms, never sentences."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or set(raw) - set(SUPPORTED_LANGUAGES):
        raise ContentError(f"{where}: expected a mapping with keys {SUPPORTED_LANGUAGES}")
    result: Dict[str, Tuple[str, ...]] = {}
    for language, words in raw.items():
        if not isinstance(words, list) or len(words) > MAX_KEYWORDS:
            raise ContentError(f"{where}.{language}: expected a list of at most {MAX_KEYWORDS} terms")
        for word in words:
            if not isinstance(word, str) or not word.strip() or len(word.split()) > 4:
                raise ContentError(f"{where}.{language}: {word!r} is not a short term (1-4 words)")
        result[language] = tuple(w.strip() for w in words)
    return result


def _parse_answer(raw: Mapping, topic_id: str, where: str) -> Answer:
    answer_id = raw.get("id")
    if not isinstance(answer_id, str) or not answer_id:
        raise ContentError(f"{where}: answer without an id")
    where = f"{where}:{answer_id}"
    sources_raw = raw.get("sources") or []
    if not sources_raw:
        raise ContentError(f"{where}: every answer needs at least one source")
    sources = []
    for item in sources_raw:
        url = str(item.get("url", "")) if isinstance(item, Mapping) else ""
        if not url.startswith(("https://", "http://")):
            raise ContentError(f"{where}: source without a full URL: {item!r}")
        sources.append(Source(title=str(item.get("title") or url), url=url))
    checked = raw.get("last_checked")
    if isinstance(checked, str):
        try:
            checked = dt.date.fromisoformat(checked)
        except ValueError as error:
            raise ContentError(f"{where}: last_checked is not a date: {checked!r}") from error
    if not isinstance(checked, dt.date):
        raise ContentError(f"{where}: every answer needs a last_checked date")
    answer = Answer(
        id=answer_id,
        topic=topic_id,
        title=_bilingual(raw.get("title"), f"{where}.title", MAX_TITLE_CHARS),
        text=_bilingual(raw.get("text"), f"{where}.text"),
        next_step=_bilingual(raw.get("next"), f"{where}.next"),
        related=tuple(raw.get("related") or ()),
        sources=tuple(sources),
        last_checked=checked,
        caveats=tuple(str(c) for c in raw.get("caveats") or ()),
        keywords=_keywords(raw.get("keywords"), f"{where}.keywords"),
    )
    for language in SUPPORTED_LANGUAGES:
        if len(answer.body(language)) > MAX_ANSWER_CHARS:
            raise ContentError(
                f"{where}: text and next step are {len(answer.body(language))} characters in "
                f"'{language}', at most {MAX_ANSWER_CHARS} (phone screens)"
            )
    if len(answer.related) > MAX_RELATED:
        raise ContentError(f"{where}: at most {MAX_RELATED} related answers")
    return answer


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load and validate every topic file in ``directory``."""
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise ContentError(f"no knowledge files in {directory}")
    topics: List[Topic] = []
    answers: Dict[str, Answer] = {}
    for path in files:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        if not isinstance(data, Mapping) or not isinstance(data.get("answers"), list):
            raise ContentError(f"{path.name}: expected 'topic', 'title' and a list of 'answers'")
        topic_id = str(data.get("topic") or path.stem)
        ids = []
        for raw in data["answers"]:
            answer = _parse_answer(raw, topic_id, path.name)
            if answer.id in answers:
                raise ContentError(f"{path.name}: answer id '{answer.id}' is defined twice")
            answers[answer.id] = answer
            ids.append(answer.id)
        topics.append(
            Topic(id=topic_id, title=_bilingual(data.get("title"), f"{path.name}.title"), answer_ids=tuple(ids))
        )
    for answer in answers.values():
        unknown = [r for r in answer.related if r not in answers]
        if unknown:
            raise ContentError(f"{answer.id}: related answers not found: {unknown}")
    return KnowledgeBase(topics=tuple(topics), answers=answers)


@lru_cache(maxsize=4)
def cached_knowledge(directory: str) -> KnowledgeBase:
    """Content is read once per process; the action server restarts to pick up edits."""
    return load_knowledge(Path(directory))


def configured_knowledge() -> KnowledgeBase:
    """The knowledge in the configured content directory (the actions and the NLU's retriever)."""
    return cached_knowledge(str(get_settings().content_dir / "knowledge"))


def format_source_note(answer: Answer, language: str) -> str:
    """The "where does this come from" reply for an answer."""
    checked = format_date(answer.last_checked, language)
    lines = [f"• {source.title}: {source.url}" for source in answer.sources]
    if language == "id":
        head = f'Sumber untuk "{answer.title["id"]}":'
        tail = f"Terakhir dicek: {checked}."
    else:
        head = f'Sources for "{answer.title["en"]}":'
        tail = f"Last checked: {checked}."
    return "\n".join([head, *lines, tail])


_MONTHS = {
    "id": [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def format_date(day: dt.date, language: str) -> str:
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"
