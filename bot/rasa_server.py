"""The Rasa server (`python -m bot.rasa_server`): Rasa's own `rasa run`, given its secrets inside
the process.

`rasa run --auth-token …` puts the API token on the command line, where every local user reads it
in `ps` (and our start-up log printed the command). Here the token comes from the environment
(RASA_API_TOKEN or RASA_API_TOKEN_FILE, bot/settings.py) and is handed to Rasa's argument parser
in this process only: /proc/<pid>/cmdline shows the command without it. Everything else is
stock `rasa run`, so Rasa's logging, model loading and channels behave as documented.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

from bot.safe_logging import configure_logging
from bot.settings import Settings, get_settings
from bot.startup import MAX_REQUEST_BYTES, refuse_unsafe_start


def rasa_arguments(settings: Settings, endpoints: Path, credentials: str = "credentials.yml") -> List[str]:
    """Arguments for Rasa's CLI, secrets included: never pass them to a subprocess."""
    return [
        "rasa",
        "run",
        "--model",
        str(settings.model_path),
        "--interface",
        settings.bind_host,
        "--port",
        str(settings.rasa_port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        credentials,
        # One argument: a token starting with "-" (token_urlsafe makes them) must not read as an option.
        "--enable-api",
        f"--auth-token={settings.rasa_api_token}",
    ]


def ensure_tracker_tables(url: str) -> None:
    """Create Rasa's ``events`` table once, under the start-up lock: replicas starting together
    would each try to create it (one fails with a duplicate-table error Rasa only logs)."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.storage.db import engine_for, startup_lock

    with startup_lock(url):
        SQLTrackerStore.Base.metadata.create_all(engine_for(url))


def main(argv: List[str]) -> int:
    settings = get_settings()
    if refuse_unsafe_start(settings, "rasa server", needs=("RASA_API_TOKEN",)):
        return 2
    # Sanic reads its config from SANIC_* when Rasa creates the app: no access log either (URLs hold
    # conversation ids and the API token).
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_REQUEST_BYTES))
    os.environ.setdefault("SANIC_ACCESS_LOG", "False")
    configure_logging(settings.log_level, handlers=False)  # Rasa's CLI installs its handlers
    from bot.rasa_overrides import apply as apply_overrides

    if settings.actions_in_process:
        from bot.in_process_actions import InProcessActions

        apply_overrides(InProcessActions())
    else:
        apply_overrides()
    try:
        ensure_tracker_tables(settings.tracker_store_url)
    except Exception as error:  # noqa: BLE001 - Rasa creates the table (or the database) itself then
        print(
            f"rasa server: could not prepare the tracker store ({type(error).__name__}); Rasa will try", file=sys.stderr
        )
    endpoints = Path(argv[0]) if argv else settings.var_dir / "endpoints.yml"
    credentials = argv[1] if len(argv) > 1 else "credentials.yml"
    from rasa.__main__ import main as rasa_main

    sys.argv = rasa_arguments(settings, endpoints, credentials)
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
