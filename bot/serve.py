"""Start everything `make run` serves, stop everything on Ctrl-C.

Each server is its own process (Rasa and the action server do not share an event loop well);
this module only starts them, waits, and tears them all down when one of them exits.
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml
from sqlalchemy.engine import make_url

from bot.action_server import TOKEN_HEADER
from bot.settings import Settings, get_settings
from bot.startup import refuse_unsafe_start

logger = logging.getLogger("bot.serve")



@dataclass(frozen=True)
class Service:
    name: str
    command: Sequence[str]


def endpoints_yaml(settings: Settings) -> str:
    """Rasa's endpoints for this run: the action server on ACTION_PORT, conversations (the tracker
    store) in TRACKER_STORE_URL, and a Redis lock store when REDIS_URL is set (several Rasa
    workers must not process one user's messages at the same time)."""
    tracker = make_url(settings.tracker_store_url)
    store = {
        # Rasa's SQL store with case codes and PINs kept out (bot/storage/tracker_store.py).
        "type": "bot.storage.tracker_store.RedactingSQLTrackerStore",
        "dialect": tracker.drivername.split("+")[0],
        "db": tracker.database,
    }
    for key, value in (("url", tracker.host), ("port", tracker.port), ("username", tracker.username),
                       ("password", tracker.password)):
        if value:
            store[key] = value
    if tracker.query:
        # e.g. sslmode=require: dropping it would let Rasa talk to PostgreSQL without TLS.
        store["query"] = dict(tracker.query)
    endpoints: Dict[str, object] = {
        "action_endpoint": {"url": f"http://{connect_host(settings.bind_host)}:{settings.action_port}/webhook",
                            "headers": {TOKEN_HEADER: settings.action_server_token}},
        "tracker_store": store,
    }
    if settings.redis_url:
        redis = make_url(settings.redis_url)
        endpoints["lock_store"] = {"type": "redis", "url": redis.host or "localhost", "port": redis.port or 6379,
                                   "db": int(redis.database or 0), **({"password": redis.password} if redis.password else {})}
    return yaml.safe_dump(endpoints, sort_keys=False)


def connect_host(bind_host: str) -> str:
    """Where this machine reaches a server bound to ``bind_host``."""
    return "127.0.0.1" if bind_host in ("0.0.0.0", "::", "") else bind_host


def write_endpoints(settings: Settings, path: Optional[Path] = None) -> Path:
    """The endpoints file, readable by its owner only: it holds the action server's token and
    may hold the database password (files, not argv, carry secrets to Rasa)."""
    path = path or settings.var_dir / "endpoints.yml"
    # A new private file renamed over the old one: the secrets are never in a file others can read,
    # not even for a moment, whatever the old file's mode was.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("# Written by bot/serve.py from the environment at each start; edit the settings, not this.\n"
                     + endpoints_yaml(settings))
    os.replace(temporary, path)
    return path


def services(settings: Settings) -> List[Service]:
    python = sys.executable
    # No secret on any command line (every local user can read argv in `ps`): the children read
    # them from the environment and from the endpoints file.
    selected: List[Service] = [
        Service("actions", [python, "-m", "bot.action_server"]),
        Service("rasa", [python, "-m", "bot.rasa_server", str(settings.var_dir / "endpoints.yml")]),
        Service("console", [python, "-m", "console", "serve", "--port", str(settings.console_port)]),
        # Retention (UU 27/2022): purges and anonymises on schedule (bot/privacy/retention.py).
        Service("retention", [python, "-m", "bot.privacy.maintenance"]),
    ]
    if settings.staff_alerts_enabled or settings.telegram_enabled or settings.whatsapp_enabled:
        # Staff alerts and reporter notices (bot/alerts/notifier.py). Only when one of them is
        # configured: a child that exits stops everything, and a notifier with nothing to do exits.
        selected.append(Service("alerts", [python, "-m", "bot.alerts.notifier"]))
    return selected


def make_private(var_dir: Path) -> None:
    """Everything this run writes (SQLite databases, the console key, endpoints) is for its owner
    only: other local users must not read reports or conversations off the disk."""
    os.umask(0o077)
    var_dir.mkdir(parents=True, exist_ok=True)
    var_dir.chmod(0o700)
    for path in var_dir.glob("*.db"):
        path.chmod(0o600)


def child_environment() -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(get_settings().project_root), env.get("PYTHONPATH")]))
    return env


def run(selected: Sequence[Service]) -> int:
    settings = get_settings()
    make_private(settings.var_dir)
    # The schema and the registry must exist before the first report arrives.
    from bot.manage import ensure_registry, migrate

    if refuse_unsafe_start(settings, "make run", needs=("RASA_API_TOKEN", "ACTION_SERVER_TOKEN")):
        return 2
    migrate()
    ensure_registry()
    write_endpoints(settings)
    for problem in settings.channel_problems():
        logger.error("%s", problem)
    if settings.channel_problems():
        return 2
    processes: Dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for service in selected:
            logger.info("starting %s: %s", service.name, " ".join(service.command))
            processes[service.name] = subprocess.Popen(
                service.command, cwd=settings.project_root, env=child_environment(), start_new_session=True
            )
        logger.info(
            "The assistant starts in about a minute (loading the model). Then try:\n"
            "  curl -s localhost:%s/webhooks/rest/webhook -d '{\"sender\": \"me\", \"message\": \"magang jepang brp thn?\"}'\n"
            "Staff console: http://localhost:%s (channels: telegram %s, whatsapp %s; staff alerts %s)\n"
            "Press Ctrl-C to stop.",
            settings.rasa_port, settings.console_port,
            "on" if settings.telegram_enabled else "off", "on" if settings.whatsapp_enabled else "off",
            "on" if settings.staff_alerts_enabled else "off",
        )
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    logger.error("%s stopped with exit code %s; stopping the others", name, process.returncode)
                    return process.returncode or 1
            time.sleep(0.5)
        return 0
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def prepare_telegram_polling() -> Optional[str]:
    """Polling mode forwards updates to our own webhook, which insists on a secret: make one up
    for this run when none is set. Returns a problem to report, or None."""
    settings = get_settings()
    if not settings.telegram_bot_token:
        return "make telegram needs TELEGRAM_BOT_TOKEN (from @BotFather): TELEGRAM_BOT_TOKEN=... make telegram"
    if settings.telegram_webhook_url:
        return "Unset TELEGRAM_WEBHOOK_URL for polling mode: Telegram serves a bot by webhook or by polling, not both."
    if not settings.telegram_webhook_secret:
        os.environ["TELEGRAM_WEBHOOK_SECRET"] = secrets.token_urlsafe(32)
    return None


def ensure_internal_tokens() -> None:
    """Rasa's HTTP API reads and rewrites conversations, and the action server files reports:
    never serve either without a token. Unset, each gets a random one for this run (production
    sets them, the same on every replica)."""
    settings = get_settings()
    if not settings.rasa_api_token:
        os.environ["RASA_API_TOKEN"] = secrets.token_urlsafe(32)
    if not settings.action_server_token:
        os.environ["ACTION_SERVER_TOKEN"] = secrets.token_urlsafe(32)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Start the assistant, its actions and its channels.")
    parser.add_argument("--telegram-polling", action="store_true",
                        help="also fetch Telegram updates by polling (no public URL needed)")
    options = parser.parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs carry the bot token
    ensure_internal_tokens()
    selected = services(get_settings())
    if options.telegram_polling:
        problem = prepare_telegram_polling()
        if problem:
            logger.error("%s", problem)
            return 2
        selected.append(Service("telegram-polling", [sys.executable, "-m", "bot.channels.telegram_polling"]))
    return run(selected)


if __name__ == "__main__":
    sys.exit(main())
