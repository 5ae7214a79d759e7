"""Logging without personal data, and the one logging set-up of every process.

Exception messages can quote user text (and SQLAlchemy's quote the SQL parameters, i.e. report
contents), so only the type and the place are logged; conversation ids are masked in every
record; httpx's request lines (Bot API URLs carry the bot token) are kept below INFO."""

from __future__ import annotations

import logging
import re
import traceback


def error_summary(error: BaseException) -> str:
    """An exception for the logs without its message (which can quote what the user wrote): the
    type and where it was raised."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(error).__name__} at {where}" if where else type(error).__name__


# Conversation ids name a person (a WhatsApp number, a Telegram chat): Rasa and Sanic log them
# in some warnings (a circuit breaker, a failed tracker save). Masked in every record.
_CONVERSATION_ID = re.compile(r"\b(rest|telegram|whatsapp):[^\s'\"),]+")


def mask_conversation_ids(message: str) -> str:
    return _CONVERSATION_ID.sub(r"\1:…", message)


def install_conversation_id_masking() -> None:
    """Every log record of this process, whichever library writes it, has conversation ids masked."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_conversation_ids", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is the logger's problem, not ours
            return record
        masked = mask_conversation_ids(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return record

    factory.masks_conversation_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def configure_logging(level: str, handlers: bool = True) -> None:
    """Set up this process's logging: at ``level`` to stderr (``handlers=False`` where the
    framework installs its own, as Rasa's CLI does), conversation ids masked, no request URLs."""
    if handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)
    quiet_request_lines()
    install_conversation_id_masking()


def quiet_request_lines() -> None:
    """httpx logs each request URL at INFO, and Bot API URLs contain the bot token. Also called
    when the Telegram client is imported, so code that sets up no logging of its own (a test, a
    one-off script) cannot write the token either."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
