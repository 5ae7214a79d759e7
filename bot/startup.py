"""The one start-up check every server runs before it listens (`make run` itself, the action
server, Rasa and the console): unsafe settings stop it with a message per problem that names
the setting."""

from __future__ import annotations

import logging
import sys
from typing import Sequence

from bot.settings import Settings

logger = logging.getLogger("bot.startup")

# Largest request body any of our servers reads (chat webhooks are a few KB; Sanic's own
# default is 100 MB). Rasa, the action server and the console each apply it themselves.
MAX_REQUEST_BYTES = 1024 * 1024


def start_problems(settings: Settings, needs: Sequence[str] = ()) -> list:
    problems = list(settings.security_problems())
    secrets = settings.secrets()
    for name in needs:
        if not secrets.get(name):
            problems.append(f"{name} must be set (bot/serve.py makes one up for `make run`).")
    return problems


def refuse_unsafe_start(settings: Settings, server: str, needs: Sequence[str] = ()) -> bool:
    """True (after saying why, on stderr and in the log) when ``server`` must not start."""
    problems = start_problems(settings, needs)
    for problem in problems:
        logger.error("%s not started: %s", server, problem)
        print(f"{server} not started: {problem}", file=sys.stderr)
    return bool(problems)
