"""The one place that turns a bot message into what each chat platform can show.

A bot message is what a Rasa action sent: text, buttons and sometimes a ``custom`` payload (the
offer check's ``risk_assessment``). Telegram and WhatsApp get the same content: the same words,
the same choices, the same risk marker; only the packaging differs (inline keyboards there,
reply buttons or a list here). Everything here is pure: the connectors do the sending.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from bot.replies import BotMessage, Button

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CALLBACK_DATA_BYTES = 64
WHATSAPP_TEXT_LIMIT = 4096
WHATSAPP_INTERACTIVE_BODY_LIMIT = 1024
WHATSAPP_MAX_REPLY_BUTTONS = 3
WHATSAPP_BUTTON_TITLE_LIMIT = 20
WHATSAPP_MAX_LIST_ROWS = 10
WHATSAPP_ROW_TITLE_LIMIT = 24
WHATSAPP_ROW_DESCRIPTION_LIMIT = 72
WHATSAPP_ROW_ID_LIMIT = 200
WHATSAPP_TEMPLATE_PARAMETER_LIMIT = 1024
# Shown on the button that opens a WhatsApp list; the reply language is not known here, and this
# label is short enough (at most 20 characters) to carry both.
WHATSAPP_LIST_BUTTON_LABEL = "Pilih / Choose"
WHATSAPP_LIST_BODY_CONTINUED = "…"

# The risk level at a glance, before the words that explain it.
RISK_MARKERS: Mapping[str, str] = {"urgent": "🚨", "high": "🔴", "medium": "🟠", "low": "🟢"}


def bot_message_from_rasa(message: Mapping[str, Any]) -> BotMessage:
    """A Rasa output message (``text``, ``buttons``/``quick_replies``, ``custom``, ``image``...)
    as a BotMessage. Unknown keys are ignored; attachments are shown as their address."""
    text = str(message.get("text") or "")
    extras = [str(message[key]) for key in ("image", "attachment") if isinstance(message.get(key), str)]
    if extras:
        text = "\n".join(filter(None, [text, *extras]))
    raw_buttons = message.get("buttons") or message.get("quick_replies") or []
    buttons: List[Button] = []
    for raw in raw_buttons if isinstance(raw_buttons, list) else []:
        if isinstance(raw, Mapping) and raw.get("title"):
            buttons.append(Button(title=str(raw["title"]), payload=str(raw.get("payload") or raw["title"])))
    custom = message.get("custom")
    return BotMessage(text=text, buttons=tuple(buttons), custom=custom if isinstance(custom, Mapping) else None)


def display_text(message: BotMessage) -> str:
    """The words a user reads: the text, led by the risk marker when the message carries a risk
    assessment (so a glance at the chat list tells how serious the offer looks)."""
    text = message.text.strip()
    custom = message.custom or {}
    if custom.get("type") == "risk_assessment":
        marker = RISK_MARKERS.get(str(custom.get("level")), "")
        if not text:
            # Actions always explain the result in words; this is the fallback for a bare payload.
            flags = ", ".join(str(f).replace("_", " ") for f in custom.get("flags") or [])
            text = f"{str(custom.get('level', '')).upper()}" + (f": {flags}" if flags else "")
        return f"{marker} {text}".strip()
    return text


def split_text(text: str, limit: int) -> List[str]:
    """Chunks of at most ``limit`` characters, cut at a paragraph, line, sentence or word boundary
    when one lies in the second half of the window (so chunks stay readable), else hard."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    chunks: List[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = 0
        for separator in ("\n\n", "\n", ". ", " "):
            position = window.rfind(separator)
            if position >= limit // 2:
                cut = position + (1 if separator == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


# --- Telegram ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramMessage:
    """One ``sendMessage``: HTML-escaped text (parse mode HTML) and inline keyboard rows of
    (title, callback data)."""

    text: str
    keyboard: Tuple[Tuple[str, str], ...] = ()
    parse_mode: str = "HTML"


def telegram_escape(text: str) -> str:
    # Telegram's HTML mode needs only <, > and & escaped; quotes are fine in text.
    return html.escape(text, quote=False)


def _telegram_chunks(text: str) -> List[str]:
    """Escaped chunks that each fit the limit (escaping can lengthen a chunk: split again)."""
    escaped: List[str] = []
    for chunk in split_text(text, TELEGRAM_TEXT_LIMIT):
        safe = telegram_escape(chunk)
        if len(safe) <= TELEGRAM_TEXT_LIMIT:
            escaped.append(safe)
        else:
            smaller = max(1, len(chunk) * TELEGRAM_TEXT_LIMIT // len(safe) - 8)
            escaped.extend(_telegram_chunks_with_limit(chunk, smaller))
    return escaped


def _telegram_chunks_with_limit(text: str, limit: int) -> List[str]:
    result: List[str] = []
    for chunk in split_text(text, limit):
        safe = telegram_escape(chunk)
        result.extend(
            [safe] if len(safe) <= TELEGRAM_TEXT_LIMIT else _telegram_chunks_with_limit(chunk, max(1, limit // 2))
        )
    return result


def telegram_callback_data(button: Button) -> str:
    """The payload comes back when the button is pressed; Telegram allows 64 bytes. A longer
    payload is replaced by the button's title, which the assistant understands as typed text."""
    for candidate in (button.payload, button.title):
        if len(candidate.encode("utf-8")) <= TELEGRAM_CALLBACK_DATA_BYTES:
            return candidate
    return button.title.encode("utf-8")[:TELEGRAM_CALLBACK_DATA_BYTES].decode("utf-8", "ignore")


def render_telegram(message: BotMessage) -> List[TelegramMessage]:
    """Text split under 4,096 characters; the keyboard (one button a row: titles are long and
    phones are narrow) goes with the last chunk, so it sits right under the question."""
    chunks = _telegram_chunks(display_text(message))
    keyboard = tuple((b.title, telegram_callback_data(b)) for b in message.buttons)
    if not chunks:
        if not keyboard:
            return []
        chunks = [telegram_escape("👇")]
    rendered = [TelegramMessage(text=c) for c in chunks[:-1]]
    rendered.append(TelegramMessage(text=chunks[-1], keyboard=keyboard))
    return rendered


# --- WhatsApp Cloud API --------------------------------------------------------------------------


def _whatsapp_envelope(to: str, kind: str, content: Dict[str, Any]) -> Dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind, kind: content}


def whatsapp_text(to: str, text: str) -> Dict[str, Any]:
    return _whatsapp_envelope(to, "text", {"preview_url": False, "body": text})


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unique_buttons(buttons: Sequence[Button]) -> List[Button]:
    """WhatsApp refuses two buttons or rows with the same id (and same-titled buttons confuse)."""
    seen = set()
    unique: List[Button] = []
    for button in buttons:
        key = (button.payload, button.title)
        if key not in seen:
            seen.add(key)
            unique.append(button)
    return unique


def _fits_reply_buttons(buttons: Sequence[Button]) -> bool:
    titles = [b.title.strip() for b in buttons]
    return (
        len(buttons) <= WHATSAPP_MAX_REPLY_BUTTONS
        and all(len(t) <= WHATSAPP_BUTTON_TITLE_LIMIT for t in titles)
        and len(set(titles)) == len(titles)
        and all(len(b.payload) <= 256 for b in buttons)
    )


def _list_rows(buttons: Sequence[Button]) -> List[Dict[str, str]]:
    rows = []
    for button in buttons:
        row = {"id": button.payload[:WHATSAPP_ROW_ID_LIMIT], "title": _shorten(button.title, WHATSAPP_ROW_TITLE_LIMIT)}
        if row["title"] != " ".join(button.title.split()):
            row["description"] = _shorten(button.title, WHATSAPP_ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    return rows


def render_whatsapp(message: BotMessage, to: str) -> List[Dict[str, Any]]:
    """Graph API ``/messages`` bodies: text split under 4,096 characters; buttons as reply buttons
    when there are at most three with short titles, else as list messages of at most ten rows.
    An interactive body holds at most 1,024 characters, so a longer text goes first on its own."""
    chunks = split_text(display_text(message), WHATSAPP_TEXT_LIMIT)
    buttons = _unique_buttons(message.buttons)
    if not buttons:
        return [whatsapp_text(to, c) for c in chunks]
    if chunks and len(chunks[-1]) <= WHATSAPP_INTERACTIVE_BODY_LIMIT:
        leading, body = chunks[:-1], chunks[-1]
    else:
        leading, body = chunks, "👇"
    bodies = [whatsapp_text(to, c) for c in leading]
    if _fits_reply_buttons(buttons):
        bodies.append(
            _whatsapp_envelope(
                to,
                "interactive",
                {
                    "type": "button",
                    "body": {"text": body},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": b.payload, "title": b.title.strip()}} for b in buttons
                        ]
                    },
                },
            )
        )
        return bodies
    for start in range(0, len(buttons), WHATSAPP_MAX_LIST_ROWS):
        rows = _list_rows(buttons[start : start + WHATSAPP_MAX_LIST_ROWS])
        bodies.append(
            _whatsapp_envelope(
                to,
                "interactive",
                {
                    "type": "list",
                    "body": {"text": body if start == 0 else WHATSAPP_LIST_BODY_CONTINUED},
                    "action": {"button": WHATSAPP_LIST_BUTTON_LABEL, "sections": [{"rows": rows}]},
                },
            )
        )
    return bodies


def whatsapp_template(to: str, name: str, language: str, text: str) -> Dict[str, Any]:
    """An approved template whose one body parameter carries ``text``: the only kind of message
    WhatsApp delivers more than 24 hours after the user last wrote. Template parameters may not
    hold line breaks, tabs or long runs of spaces."""
    parameter = _shorten(
        " · ".join(line.strip() for line in text.splitlines() if line.strip()), WHATSAPP_TEMPLATE_PARAMETER_LIMIT
    )
    return _whatsapp_envelope(
        to,
        "template",
        {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}],
        },
    )


def plain_text(messages: Sequence[BotMessage]) -> Optional[str]:
    """All messages as one text (for a template, which carries no buttons)."""
    texts = [display_text(m) for m in messages if display_text(m)]
    return "\n".join(texts) if texts else None
