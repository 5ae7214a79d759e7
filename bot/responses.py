"""domain.yml's responses as plain data, for code that must say one of them itself.

Rasa sends a response in a turn and picks its variation by the language slot. Two places need the
text outside that: the report keeps the contact question exactly as the reporter saw it (consent
under UU 27/2022 must be provable), and the channels answer a photo or sticker with both languages
before any turn runs. Reading the same responses keeps one text for each.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping, Sequence

import yaml

from bot.settings import get_settings

Responses = Mapping[str, Sequence[Mapping[str, Any]]]


def _language_of(variation: Mapping[str, Any]) -> str | None:
    """The language a variation is for, from its slot condition; None for the default one."""
    for condition in variation.get("condition") or ():
        if condition.get("type") == "slot" and condition.get("name") == "language":
            return str(condition.get("value"))
    return None


def response_text(responses: Responses, name: str, language: str) -> str:
    """The text of a response's variation for ``language``, as Rasa would choose it: the variation
    whose condition names the language, else the one without a condition (Indonesian)."""
    variations = responses[name]
    for variation in variations:
        if _language_of(variation) == language:
            return str(variation["text"])
    for variation in variations:
        if not variation.get("condition"):
            return str(variation["text"])
    raise KeyError(f"response {name!r} has no variation for {language!r} and no default")


@lru_cache(maxsize=2)
def _load(path: str) -> Responses:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle).get("responses") or {}


def domain_responses() -> Responses:
    return _load(str(get_settings().project_root / "domain.yml"))
