"""Builds what the assistant says, as plain data, from the content files.

Every reply is a list of ``BotMessage`` (text plus optional buttons) in one language. The Rasa
actions send them; channel adapters render them. Keeping this pure lets tests check every
reply without a model or a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.knowledge import KnowledgeBase, format_source_note
from bot.language import SUPPORTED_LANGUAGES


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: Tuple[Button, ...] = ()
    custom: Optional[Mapping] = None


@dataclass(frozen=True)
class UiText:
    texts: Mapping[str, Mapping[str, str]]
    menu_answers: Tuple[str, ...] = field(default_factory=tuple)

    def get(self, key: str, language: str) -> str:
        return self.texts[key][language]


def load_ui_text(path: Path) -> UiText:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    texts: Dict[str, Dict[str, str]] = {}
    for key, value in data.items():
        if key == "menu_answers":
            continue
        if not isinstance(value, Mapping) or any(not value.get(lang) for lang in SUPPORTED_LANGUAGES):
            raise ValueError(f"ui.yml: '{key}' needs both 'id' and 'en' texts")
        texts[key] = {lang: str(value[lang]).strip() for lang in SUPPORTED_LANGUAGES}
    return UiText(texts=texts, menu_answers=tuple(data.get("menu_answers") or ()))


@lru_cache(maxsize=4)
def cached_ui_text(path: str) -> UiText:
    return load_ui_text(Path(path))


def intent_payload(intent: str) -> str:
    """A button payload that triggers ``intent`` directly, skipping the NLU."""
    return f"/{intent}"


def answer_buttons(kb: KnowledgeBase, answer_ids: Sequence[str], language: str) -> Tuple[Button, ...]:
    return tuple(Button(title=kb.answers[a].title[language], payload=intent_payload(a)) for a in answer_ids if a in kb)


def answer_reply(kb: KnowledgeBase, answer_id: str, language: str) -> List[BotMessage]:
    answer = kb.answers[answer_id]
    return [BotMessage(text=answer.body(language), buttons=answer_buttons(kb, answer.related, language))]


def source_reply(kb: KnowledgeBase, ui: UiText, answer_id: Optional[str], language: str) -> List[BotMessage]:
    answer = kb.get(answer_id)
    if answer is None:
        return [BotMessage(text=ui.get("no_source_yet", language))]
    return [BotMessage(text=format_source_note(answer, language))]


def menu_reply(kb: KnowledgeBase, ui: UiText, key: str, language: str) -> List[BotMessage]:
    """The greeting or the help text, with the topic buttons."""
    return [BotMessage(text=ui.get(key, language), buttons=answer_buttons(kb, ui.menu_answers, language))]


def text_reply(ui: UiText, key: str, language: str) -> List[BotMessage]:
    return [BotMessage(text=ui.get(key, language))]


def clarify_reply(kb: KnowledgeBase, ui: UiText, candidate_ids: Sequence[str], language: str) -> List[BotMessage]:
    """Ask "did you mean ...?" with the likeliest answers as buttons, plus "none of these"."""
    buttons = list(answer_buttons(kb, candidate_ids[:3], language))
    buttons.append(Button(title=ui.get("clarify_none", language), payload=intent_payload("deny")))
    return [BotMessage(text=ui.get("clarify", language), buttons=tuple(buttons))]


def reply_length(messages: Sequence[BotMessage]) -> int:
    """Characters a user reads for one reply: all texts and button titles together."""
    return sum(len(m.text) + sum(len(b.title) for b in m.buttons) for m in messages)
