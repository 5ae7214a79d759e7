"""Logging without personal data: exception messages can quote user text (and SQLAlchemy's quote
the SQL parameters, i.e. report contents), so only the type and the place are logged."""
from __future__ import annotations

import traceback


def error_summary(error: BaseException) -> str:
    """An exception for the logs without its message (which can quote what the user wrote): the
    type and where it was raised."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(error).__name__} at {where}" if where else type(error).__name__
