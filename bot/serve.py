"""Start everything `make run` serves, keep it running, stop everything on Ctrl-C.

Each server is its own process: Rasa (with the custom actions inside, bot/in_process_actions.py;
with ACTIONS_IN_PROCESS=false, a separate action server too), the console, the notifier and
retention. This module is their supervisor: a child that exits is logged and started again after
a back-off (1 s, doubling to 30 s; reset once it has run for a minute), and the others go on
serving, so a crashed process costs a few seconds of "try again", not the whole assistant.
``RASA_REPLICAS=N`` starts N Rasa servers on RASA_PORT, RASA_PORT+1... sharing the stores.

In a container, ``python -m bot.serve --only rasa`` (or actions, console, alerts, retention) does
the same start-up work and then becomes that one server: the platform supervises it.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import yaml
from sqlalchemy.engine import make_url

from bot.action_server import TOKEN_HEADER
from bot.safe_logging import configure_logging
from bot.settings import Settings, get_settings
from bot.startup import refuse_unsafe_start

logger = logging.getLogger("bot.serve")


@dataclass(frozen=True)
class Service:
    name: str
    command: Sequence[str]
    # Settings of this child only (a replica's port); never secrets, which come from the environment.
    environment: Mapping[str, str] = field(default_factory=dict)


# Restart back-off of a child that exited: 1 s, 2 s, 4 s... at most 30 s; a child that ran for
# STABLE_SECONDS before exiting starts again after 1 s (a crash, not a crash loop).
FIRST_RESTART_SECONDS = 1.0
MAX_RESTART_SECONDS = 30.0
STABLE_SECONDS = 60.0


def restart_delay(failures_in_a_row: int) -> float:
    exponent = min(max(0, failures_in_a_row - 1), 10)
    return min(FIRST_RESTART_SECONDS * 2**exponent, MAX_RESTART_SECONDS)


def endpoints_yaml(settings: Settings) -> str:
    """Rasa's endpoints for this run: conversations (the tracker store) in TRACKER_STORE_URL, the
    action server on ACTION_PORT only when the actions do not run inside Rasa, and a Redis lock
    store when REDIS_URL is set (several Rasa workers must not process one user's messages at the
    same time)."""
    tracker = make_url(settings.tracker_store_url)
    store = {
        # Rasa's SQL store with case codes and PINs kept out (bot/storage/tracker_store.py).
        "type": "bot.storage.tracker_store.RedactingSQLTrackerStore",
        "dialect": tracker.drivername.split("+")[0],
        "db": tracker.database,
    }
    for key, value in (
        ("url", tracker.host),
        ("port", tracker.port),
        ("username", tracker.username),
        ("password", tracker.password),
    ):
        if value:
            store[key] = value
    if tracker.query:
        # e.g. sslmode=require: dropping it would let Rasa talk to PostgreSQL without TLS.
        store["query"] = dict(tracker.query)
    endpoints: Dict[str, object] = {"tracker_store": store}
    if not settings.actions_in_process:
        endpoints["action_endpoint"] = {
            "url": action_server_url(settings),
            "headers": {TOKEN_HEADER: settings.action_server_token},
        }
    if settings.redis_url:
        redis = make_url(settings.redis_url)
        # Atomic locks in Redis (bot/storage/lock_store.py: Rasa's own ticket locks can let two
        # replicas run one conversation's turns at once).
        endpoints["lock_store"] = {
            "type": "bot.storage.lock_store.AtomicRedisLockStore",
            "url": redis.host or "localhost",
            "port": redis.port or 6379,
            "db": int(redis.database or 0),
            **({"password": redis.password} if redis.password else {}),
            **({"use_ssl": True} if redis.drivername == "rediss" else {}),
        }
    return yaml.safe_dump(endpoints, sort_keys=False)


def action_server_url(settings: Settings) -> str:
    """ACTION_SERVER_URL (containers: another host), or the action server this run starts."""
    return settings.action_server_url or f"http://{connect_host(settings.bind_host)}:{settings.action_port}/webhook"


def connect_host(bind_host: str) -> str:
    """Where this machine reaches a server bound to ``bind_host``."""
    return "127.0.0.1" if bind_host in ("0.0.0.0", "::", "") else bind_host


def write_endpoints(settings: Settings, path: Optional[Path] = None) -> Path:
    """The endpoints file, readable by its owner only: it may hold the action server's token and
    the database password (files, not argv, carry secrets to Rasa)."""
    path = path or settings.var_dir / "endpoints.yml"
    # A new private file renamed over the old one: the secrets are never in a file others can read,
    # not even for a moment, whatever the old file's mode was.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(
            "# Written by bot/serve.py from the environment at each start; edit the settings, not this.\n"
            + endpoints_yaml(settings)
        )
    os.replace(temporary, path)
    return path


def rasa_ports(settings: Settings) -> List[int]:
    return [settings.rasa_port + index for index in range(max(1, settings.rasa_replicas))]


def services(settings: Settings) -> List[Service]:
    python = sys.executable
    # No secret on any command line (every local user can read argv in `ps`): the children read
    # them from the environment and from the endpoints file.
    replicas = rasa_ports(settings)
    # Actions run inside each Rasa server unless ACTIONS_IN_PROCESS=false (bot/in_process_actions.py);
    # with ACTION_SERVER_URL they run elsewhere (another container).
    selected: List[Service] = []
    if not settings.actions_in_process and not settings.action_server_url:
        selected.append(Service("actions", [python, "-m", "bot.action_server"]))
    for index, port in enumerate(replicas, start=1):
        selected.append(
            Service(
                "rasa" if len(replicas) == 1 else f"rasa-{index}",
                [python, "-m", "bot.rasa_server", str(settings.var_dir / "endpoints.yml")],
                {"RASA_PORT": str(port)},
            )
        )
    selected += [
        Service("console", [python, "-m", "console", "serve", "--port", str(settings.console_port)]),
        # Retention (UU 27/2022): purges and anonymises on schedule (bot/privacy/retention.py).
        Service("retention", [python, "-m", "bot.privacy.maintenance"]),
    ]
    if settings.staff_alerts_enabled or settings.telegram_enabled or settings.whatsapp_enabled:
        # Staff alerts and reporter notices (bot/alerts/notifier.py). Only when one of them is
        # configured: a notifier with nothing to do exits at once.
        selected.append(Service("alerts", [python, "-m", "bot.alerts.notifier"]))
    return selected


# `python -m bot.serve --only NAME`: the one server a container runs.
SINGLE_SERVICES = ("rasa", "actions", "console", "alerts", "retention")


def single_service(settings: Settings, name: str) -> Service:
    always = [
        Service("actions", [sys.executable, "-m", "bot.action_server"]),
        Service("alerts", [sys.executable, "-m", "bot.alerts.notifier"]),
    ]
    for service in services(settings) + always:
        if service.name == name or (name == "rasa" and service.name.startswith("rasa")):
            return Service(name, service.command)
    raise ValueError(f"unknown service {name!r}")


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


def prepare(settings: Settings, needs: Sequence[str]) -> bool:
    """Start-up work shared by `make run` and every container: refuse unsafe settings, migrate and
    seed the database (once, under a lock, however many processes start together), write Rasa's
    endpoints. False when the start must be refused (the reasons are logged)."""
    make_private(settings.var_dir)
    # The schema and the registry must exist before the first report arrives.
    from bot.manage import ensure_registry, migrate
    from bot.storage.db import startup_lock

    if refuse_unsafe_start(settings, "make run", needs=needs):
        return False
    problems = settings.channel_problems() + settings.scaling_problems()
    for problem in problems:
        logger.error("%s", problem)
    if problems:
        return False
    migrate()  # under the start-up lock itself
    with startup_lock():
        ensure_registry()
    write_endpoints(settings)
    return True


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the supervisor dies, even by SIGKILL (Linux), so no
    server is left holding its port after a crash of `make run` itself."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Supervisor:
    """Runs the services, restarting any that exits, until stopped."""

    def __init__(self, selected: Sequence[Service], settings: Settings) -> None:
        self.selected = list(selected)
        self.settings = settings
        self.processes: Dict[str, subprocess.Popen] = {}
        self.started_at: Dict[str, float] = {}
        self.failures: Dict[str, int] = {}
        self.restart_at: Dict[str, float] = {}
        self.stopping = False

    def start(self, service: Service) -> None:
        logger.info("starting %s", service.name)
        environment = {**child_environment(), **service.environment}
        self.processes[service.name] = subprocess.Popen(
            service.command,
            cwd=self.settings.project_root,
            env=environment,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.started_at[service.name] = time.monotonic()

    def check(self) -> None:
        """Notice exited children and start them again when their back-off has passed."""
        now = time.monotonic()
        for service in self.selected:
            process = self.processes.get(service.name)
            if process is not None and process.poll() is None:
                continue
            if service.name not in self.restart_at:
                assert process is not None
                ran = now - self.started_at.get(service.name, now)
                self.failures[service.name] = 1 if ran >= STABLE_SECONDS else self.failures.get(service.name, 0) + 1
                delay = restart_delay(self.failures[service.name])
                self.restart_at[service.name] = now + delay
                logger.error(
                    "%s exited with code %s after %.0f s; starting it again in %.0f s (the others go on)",
                    service.name,
                    process.returncode,
                    ran,
                    delay,
                )
            elif now >= self.restart_at[service.name]:
                del self.restart_at[service.name]
                self.start(service)

    def stop_all(self) -> None:
        # Every child's whole process group, also of children that exited (theirs may linger).
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)

    def run(self) -> int:
        def stop(*_: object) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for service in self.selected:
                self.start(service)
            ports = ", ".join(f":{port}" for port in rasa_ports(self.settings))
            logger.info(
                "The assistant starts in about a minute (loading the model). Then try:\n"
                "  curl -s localhost:%s/webhooks/rest/webhook"
                ' -d \'{"sender": "me", "message": "magang jepang brp thn?"}\'\n'
                "Rasa on %s; staff console: http://localhost:%s (channels: telegram %s, whatsapp %s; staff alerts %s)\n"
                "Press Ctrl-C to stop.",
                self.settings.rasa_port,
                ports,
                self.settings.console_port,
                "on" if self.settings.telegram_enabled else "off",
                "on" if self.settings.whatsapp_enabled else "off",
                "on" if self.settings.staff_alerts_enabled else "off",
            )
            while not self.stopping:
                self.check()
                time.sleep(0.5)
            return 0
        finally:
            self.stop_all()


def run(selected: Sequence[Service]) -> int:
    settings = get_settings()
    if not prepare(settings, needs=("RASA_API_TOKEN", "ACTION_SERVER_TOKEN")):
        return 2
    return Supervisor(selected, settings).run()


def run_single(name: str) -> int:
    """Prepare, then become the one server (os.execve: signals and the exit code are its own)."""
    settings = get_settings()
    if name == "alerts" and not (
        settings.staff_alerts_enabled or settings.telegram_enabled or settings.whatsapp_enabled
    ):
        # It would exit at once and be restarted forever: say what is missing instead.
        logger.error(
            "the notifier has nothing to send: set TELEGRAM_BOT_TOKEN and STAFF_TELEGRAM_CHAT_ID "
            "(staff alerts) or a chat platform (reporter notices), or run no notifier"
        )
        return 2
    rasa_needs = ("RASA_API_TOKEN",) if settings.actions_in_process else ("RASA_API_TOKEN", "ACTION_SERVER_TOKEN")
    needs = {"rasa": rasa_needs, "actions": ("ACTION_SERVER_TOKEN",)}.get(name, ())
    if not prepare(settings, needs=needs):
        return 2
    service = single_service(settings, name)
    os.chdir(settings.project_root)
    os.execve(service.command[0], list(service.command), child_environment())
    return 0  # pragma: no cover - execve does not return


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
    parser.add_argument(
        "--telegram-polling", action="store_true", help="also fetch Telegram updates by polling (no public URL needed)"
    )
    parser.add_argument(
        "--only",
        choices=SINGLE_SERVICES,
        help="run just this server in the foreground (containers; the platform restarts it)",
    )
    options = parser.parse_args(argv)
    configure_logging(get_settings().log_level)
    if options.only:
        # Containers: the tokens must come from the deployment's secrets, the same on every replica.
        return run_single(options.only)
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
