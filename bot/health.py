"""Liveness of the processes that serve no HTTP (the notifier, the retention process).

Each touches its heartbeat file (``VAR_DIR/heartbeat-<name>``) while its loop runs; a container
probe runs ``python -m bot.health heartbeat alerts`` and restarts the process when the file is
older than the limit: a loop stuck on a hung connection is restarted, not left silent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from bot.settings import get_settings

# A loop touches its file at least this often (the notifier once per poll, retention every minute
# while it sleeps); the probe allows a few missed beats before calling the process dead.
BEAT_SECONDS = 60
DEFAULT_MAX_AGE_SECONDS = 5 * BEAT_SECONDS
NAMES = ("alerts", "retention")


def heartbeat_path(name: str, var_dir: Optional[Path] = None) -> Path:
    if name not in NAMES:
        raise ValueError(f"unknown heartbeat {name!r}")
    return (var_dir or get_settings().var_dir) / f"heartbeat-{name}"


def beat(name: str, var_dir: Optional[Path] = None) -> None:
    """Record that ``name``'s loop is alive (never raises: a full disk must not stop the loop)."""
    path = heartbeat_path(name, var_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a"):
            pass
        os.utime(path)
    except OSError:
        pass


def is_alive(
    name: str,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    var_dir: Optional[Path] = None,
    now: Optional[float] = None,
) -> bool:
    try:
        age = (now if now is not None else time.time()) - heartbeat_path(name, var_dir).stat().st_mtime
    except OSError:
        return False
    return age <= max_age_seconds


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.health", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("heartbeat", help="exit 0 when the process's heartbeat is fresh, 1 otherwise")
    check.add_argument("name", choices=NAMES)
    check.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_SECONDS, help="seconds (default 300)")
    options = parser.parse_args(argv)
    alive = is_alive(options.name, options.max_age)
    print(f"{options.name}: {'alive' if alive else 'no recent heartbeat'}")
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
