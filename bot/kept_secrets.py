"""Secrets that must survive restarts but need not be configured to chat locally: the setting when
it is set, else one generated once and kept in VAR_DIR (mode 0600). Production requires the
settings themselves (bot/settings.py), since replicas on other machines share no VAR_DIR."""

from __future__ import annotations

import functools
import os
import re
import secrets
from pathlib import Path

from bot.sealing import derive_key
from bot.settings import Settings

CONSOLE_SECRET_FILE = "console_secret"
REPORT_PIN_KEY_FILE = "report_pin_key"


class KeptSecretError(OSError):
    """A kept secret file that is not one this module wrote (empty, cut short, edited)."""


_KEPT_SECRET = re.compile(r"[0-9a-f]{64}")


def kept_secret(var_dir: Path, filename: str) -> str:
    """The secret kept in ``var_dir/filename``, made on first use. Processes starting together
    (`RASA_REPLICAS=2 make run`) all get the same one: it is written and flushed to disk in a file
    of its own and then linked into place, which fails for every process but the first, so no
    process can read a half-written secret. A file that does not hold one is refused: an empty
    secret would key every hash with a key anyone knows."""
    path = var_dir / filename
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        draft = var_dir / f".{filename}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its secret
        finally:
            draft.unlink(missing_ok=True)
    value = path.read_text(encoding="utf-8").strip()
    if not _KEPT_SECRET.fullmatch(value):
        raise KeptSecretError(
            f"{path} does not hold a secret made here: remove it to make a new one "
            "(or set the setting it stands in for)"
        )
    return value


def console_secret_key(settings: Settings) -> str:
    return settings.console_secret_key or kept_secret(settings.var_dir, CONSOLE_SECRET_FILE)


def report_pin_key(settings: Settings) -> bytes:
    """The key of the PINs' keyed hash (bot/reports/codes.py), one of its own: changing another
    secret must not make every reporter's PIN wrong."""
    return _pin_key(settings.report_pin_key or kept_secret(settings.var_dir, REPORT_PIN_KEY_FILE))


@functools.lru_cache(maxsize=4)
def _pin_key(secret: str) -> bytes:
    return derive_key("report pin", secret.encode("utf-8"))
