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
    return bool(text) and _WORD_CHARACTER.search(text) is not None


def cut_long_text(text: str, limit: int = MAX_READ_CHARS) -> str:
    """The first ``limit`` characters, ending at a word boundary when there is one nearby."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit * 0.8 else cut
