"""What never goes into a stored conversation: case codes and PINs (plain functions).

A case code with its PIN opens a report's status and the staff's messages; anyone who reads the
stored conversation (a reviewer reading the transcript, a database backup) must not be able to
use them. The user still sees both once, in the reply sent before anything is stored.

A six-digit number is only a PIN in context: in a message that also holds a case code, in an
answer to the PIN question, or as a message on its own ("482913"). Elsewhere it is kept: "bayar
150000 ke sponsor" is evidence in a report.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from bot.reports.codes import CASE_CODE_ALPHABET

CODE_PLACEHOLDER = "[kode laporan]"
PIN_PLACEHOLDER = "[PIN]"
# Slots whose values are sealed (encrypted) at rest by the tracker store, not dropped: a status
# check may span turns (code in one message, PIN in the next).
SEALED_SLOTS = ("status_case_code", "status_pin")
STATUS_LOOP = "status_form"
PIN_SLOT = "status_pin"
CODE_SLOT = "status_case_code"
STATUS_INTENTS = ("check_status",)

_CODE = re.compile(
    rf"(?<![A-Za-z0-9])[{CASE_CODE_ALPHABET}{CASE_CODE_ALPHABET.lower()}]{{4}}[-\s]?"
    rf"[{CASE_CODE_ALPHABET}{CASE_CODE_ALPHABET.lower()}]{{4}}(?![A-Za-z0-9])"
)
_SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
_PIN_ALONE = re.compile(r"\s*(?:pin\s*:?\s*)?\d{6}\s*[.!]?\s*", re.IGNORECASE)


def _codes_in(text: str, status_context: bool = False) -> List[str]:
    """Case-code-shaped words with a digit, a hyphen, or in capitals: two ordinary words ("mana
    taun") or one 8-letter word ("kemnaker") are not codes. In a status check (the code or PIN
    is asked for, or the message asks for a status), whatever the status check itself would read
    as a code is one ("kqxm wpzr": about one code in ten has no digit)."""
    found = []
    for match in _CODE.finditer(text):
        word = match.group(0)
        if any(ch.isdigit() for ch in word) or "-" in word or word.isupper() or (status_context and " " in word):
            found.append(word)
    return found


def has_case_code(text: str) -> bool:
    return bool(_codes_in(text or ""))


def redact_text(text: Optional[str], pin_context: bool = False) -> Optional[str]:
    """``text`` without case codes, and without six-digit numbers when they are PINs here."""
    if not text:
        return text
    codes = _codes_in(text, pin_context)
    redacted = text
    for code in codes:
        redacted = redacted.replace(code, CODE_PLACEHOLDER)
    if codes or pin_context or _PIN_ALONE.fullmatch(text):
        redacted = _SIX_DIGITS.sub(PIN_PLACEHOLDER, redacted)
    return redacted


class ConversationContext:
    """Whether the next user message answers the status check (the PIN question), followed event
    by event through a conversation's serialised events."""

    def __init__(self) -> None:
        self.active_loop: Optional[str] = None
        self.requested_slot: Optional[str] = None

    @property
    def pin_expected(self) -> bool:
        return self.active_loop == STATUS_LOOP or self.requested_slot in (PIN_SLOT, CODE_SLOT)

    def follow(self, event: Dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "active_loop":
            self.active_loop = event.get("name")
        elif kind == "slot" and event.get("name") == "requested_slot":
            self.requested_slot = event.get("value")
        elif kind in ("restart", "session_started"):
            self.active_loop, self.requested_slot = None, None


def redact_event(event: Dict[str, Any], context: ConversationContext) -> Dict[str, Any]:
    """A copy of one serialised Rasa event fit for storage (the context is what came before it)."""
    kind = event.get("event")
    if kind == "user":
        data = dict(event)
        parse = dict(data.get("parse_data") or {})
        intent = (parse.get("intent") or {}).get("name")
        pin_context = context.pin_expected or intent in STATUS_INTENTS
        data["text"] = redact_text(data.get("text"), pin_context)
        if "text" in parse:
            parse["text"] = redact_text(parse.get("text"), pin_context)
        parse.pop("metadata", None)
        if parse.get("entities"):
            parse["entities"] = [_redacted_entity(entity, pin_context) for entity in parse["entities"]]
        if "parse_data" in data:
            data["parse_data"] = parse
        # Request metadata (e.g. the REST client's address key) is for rate limits in this turn only.
        data.pop("metadata", None)
        return data
    if kind == "bot":
        data = dict(event)
        text = data.get("text") or ""
        data["text"] = redact_text(text, pin_context=has_case_code(text))
        inner = dict(data.get("data") or {})
        custom = inner.get("custom")
        if isinstance(custom, dict) and "case_code" in custom:
            inner["custom"] = {**custom, "case_code": CODE_PLACEHOLDER}
            data["data"] = inner
        return data
    return event


def _redacted_entity(entity: Any, pin_context: bool) -> Any:
    if not isinstance(entity, dict) or not isinstance(entity.get("value"), str):
        return entity
    return {**entity, "value": redact_text(entity["value"], pin_context)}


def redact_events(
    events: Iterable[Dict[str, Any]], context: Optional[ConversationContext] = None
) -> List[Dict[str, Any]]:
    """Every event redacted, the context followed along (pass one to continue from earlier events)."""
    context = context or ConversationContext()
    redacted = []
    for event in events:
        redacted.append(redact_event(event, context))
        context.follow(event)
    return redacted
