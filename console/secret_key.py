"""The console's secret key: CONSOLE_SECRET_KEY, or one generated once and kept in VAR_DIR, so
sessions (and the TOTP secrets sealed with it) survive restarts."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.settings import Settings

SECRET_FILE = "console_secret"


def load_secret_key(settings: Settings) -> str:
    if settings.console_secret_key:
        return settings.console_secret_key
    path: Path = settings.var_dir / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two starting processes cannot both write a key; the loser reads the winner's.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()
