"""The maintenance process: the retention policy at start and then every RETENTION_INTERVAL_HOURS.

`python -m bot.privacy.maintenance` (bot/serve.py starts it beside the servers). It never exits
because a run failed: bot/serve.py stops the whole assistant when a child exits, and a database
that is down for a while must not take the chat with it. A failed run is logged (the error's
class only) and tried again after RETRY_AFTER_FAILURE. SIGTERM and SIGINT stop it between runs;
a run in progress finishes first (each of its steps is one transaction, so even a hard kill
leaves nothing half-done). Limits below one day refuse the start (exit 2), like the other
start-up checks: a retention policy that silently never runs would break the promise it makes.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
import time
from typing import Callable, Optional

from bot.health import BEAT_SECONDS, beat
from bot.privacy.retention import limit_problems, run_retention
from bot.safe_logging import configure_logging
from bot.settings import Settings, get_settings
from bot.storage.models import utcnow

logger = logging.getLogger("bot.privacy.maintenance")

RETRY_AFTER_FAILURE = dt.timedelta(hours=1)


def run_once(settings: Settings, now: Callable[[], dt.datetime] = utcnow) -> bool:
    """One retention run; False when it failed (logged, never raised)."""
    try:
        run_retention(settings, now())
    except Exception as error:  # noqa: BLE001 - keep the process alive; the class is enough to diagnose
        logger.error("retention: run failed (%s); trying again in %s", type(error).__name__, RETRY_AFTER_FAILURE)
        return False
    return True


def serve(settings: Settings, stop: threading.Event, now: Callable[[], dt.datetime] = utcnow) -> None:
    """Run at once, then every interval, until ``stop`` is set."""
    interval = dt.timedelta(hours=settings.retention_interval_hours)
    logger.info(
        "retention: every %d h; conversations after %d d, closed reports after %d d",
        settings.retention_interval_hours,
        settings.retention_conversation_days,
        settings.retention_closed_report_days,
    )
    while not stop.is_set():
        beat("retention")
        ok = run_once(settings, now)
        wait = interval if ok else min(interval, RETRY_AFTER_FAILURE)
        deadline = time.monotonic() + wait.total_seconds()
        # Sleep in beats, so the liveness probe (bot/health.py) sees a process that waits, not a dead one.
        while not stop.is_set() and time.monotonic() < deadline:
            beat("retention")
            stop.wait(min(BEAT_SECONDS, max(0.0, deadline - time.monotonic())))
    logger.info("retention: stopped")


def main(settings: Optional[Settings] = None) -> int:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    problems = limit_problems(settings)
    if problems:
        for problem in problems:
            logger.error("retention refused: %s", problem)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    serve(settings, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
