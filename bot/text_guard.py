"""Plain checks on raw message text, shared by the NLU pipeline and the actions."""

from __future__ import annotations

import re
from typing import Optional

# Texts longer than this are cut before the NLU reads them; actions still get the full text.
MAX_READ_CHARS = 1000
# Set on a parsed message whose text was cut, so the reply can say so.
TRUNCATED_KEY = "text_truncated"

_WORD_CHARACTER = re.compile(r"[^\W_]", re.UNICODE)


def has_readable_text(text: Optional[str]) -> bool:
    """True when the text holds at least one letter or digit (in any script)."""
    return text is not None and _WORD_CHARACTER.search(text) is not None


def cut_long_text(text: str, limit: int = MAX_READ_CHARS) -> str:
    """The first ``limit`` characters, ending at a word boundary when there is one nearby."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit * 0.8 else cut


# Words that ask, in Indonesian (and its abbreviations) and English. One list for every place
# that must tell a question from a statement (offer routing, the retrieval stage).
_QUESTION_WORDS = (
    r"apa|apakah|berapa|brp|gimana|bagaimana|gmn|kapan|dimana|mana|siapa|kenapa|boleh|bisa|bs|kalau|kalo|piye|kumaha|"
    r"how|what|which|when|where|who|why|can|could|do|does|is|are|should"
)
_STARTS_AS_QUESTION = re.compile(rf"\?|^\s*(?:{_QUESTION_WORDS})\b", re.IGNORECASE)
_ASKS = re.compile(rf"\?|\b(?:{_QUESTION_WORDS}|harus|perlu|syarat|cara|need|must)\b", re.IGNORECASE)


def is_question_form(text: Optional[str]) -> bool:
    """Asked as a question: a question mark, or a question word first ("gimana cara…")."""
    return bool(_STARTS_AS_QUESTION.search(text or ""))


def asks_something(text: Optional[str]) -> bool:
    """A question mark or a question word anywhere ("aku umur 30 masih bisa ga")."""
    return bool(_ASKS.search(text or ""))
