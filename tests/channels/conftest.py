"""The whole product as `make run` starts it (``python -m bot.serve``), wired to local stand-ins
for Telegram's Bot API and Meta's Graph API on free ports, and configured as in production:
reports and conversations in a fresh PostgreSQL database, Rasa's locks in Redis.

Started once per test session (loading the model takes tens of seconds); tests talk to it over
real HTTP on loopback, exactly as the platforms would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from bot.serve import child_environment
from bot.settings import FALSE_WORDS, get_settings
from tests.databases import throwaway_postgres
from tests.servers import free_port, wait_until_up
from tests.standins.graph_api import GraphApiStandIn
from tests.standins.telegram_api import TelegramApiStandIn

TELEGRAM_SECRET = "telegram-secret-for-tests_0123456789"
WHATSAPP_APP_SECRET = "whatsapp-app-secret-for-tests"
WHATSAPP_VERIFY_TOKEN = "verify-me-please-0123456789abcdefghij"
WHATSAPP_ACCESS_TOKEN = "EAAG-test-access-token"
WHATSAPP_PHONE_NUMBER_ID = "109876543210"
STAFF_CHAT_ID = "-1001234567890"
# Rasa's lock store; a database number of its own, so tests never touch other data.
REDIS_URL = "redis://127.0.0.1:6379/7"
RASA_API_TOKEN = "rasa-api-token-for-tests-0123456789abcdef"
ACTION_SERVER_TOKEN = "action-server-token-for-tests-0123456789"
# Configured like the other secrets, so a stack started again on the same stores (a restart)
# checks the PINs the first one gave out.
REPORT_PIN_KEY = "report-pin-key-for-tests-0123456789abcdef"
# "magang jepang syaratnya apa": the requirements (selection) answer, not the TITP closing dates.
REQUIREMENTS_QUESTION_ANSWER = "titp_selection"


def answer_opening(answer_id: str, language: str = "id") -> str:
    """The first words of a knowledge answer as the user reads them (no markup in them)."""
    from bot.knowledge import load_knowledge

    text = load_knowledge(get_settings().content_dir / "knowledge").answers[answer_id].text[language]
    return text.split("\n")[0][:50]


@dataclass
class Stack:
    rasa_url: str
    telegram: TelegramApiStandIn
    graph: GraphApiStandIn
    database_url: str
    env: Dict[str, str]
    log_path: Path
    # Every Rasa replica (the first is rasa_url) and the pid of `python -m bot.serve`.
    rasa_urls: List[str] = field(default_factory=list)
    serve_pid: int = 0

    def on_replica(self, index: int) -> "Stack":
        """This stack as seen through replica ``index`` (webhooks and the API go there)."""
        return dataclasses.replace(self, rasa_url=self.rasa_urls[index % len(self.rasa_urls)])

    @property
    def telegram_webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/telegram/webhook"

    @property
    def whatsapp_webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/whatsapp/webhook"

    def tracker(self, sender_id: str) -> Dict[str, Any]:
        """A conversation as Rasa's HTTP API shows it (with the API token)."""
        url = f"{self.rasa_url}/conversations/{urllib.parse.quote(sender_id, safe=':')}/tracker?token={RASA_API_TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def stack_environment(
    folder: Path, database_url: str, telegram: TelegramApiStandIn, graph: GraphApiStandIn
) -> Dict[str, str]:
    env = child_environment()
    env.update(
        {
            "VAR_DIR": str(folder / "var"),
            "DATABASE_URL": database_url,
            "TRACKER_STORE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "RASA_API_TOKEN": RASA_API_TOKEN,
            "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
            "REPORT_PIN_KEY": REPORT_PIN_KEY,
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "CONSOLE_PORT": str(free_port()),
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "WHATSAPP_ACCESS_TOKEN": WHATSAPP_ACCESS_TOKEN,
            "WHATSAPP_APP_SECRET": WHATSAPP_APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": WHATSAPP_VERIFY_TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": WHATSAPP_PHONE_NUMBER_ID,
            "WHATSAPP_API_BASE_URL": graph.base_url,
            "WHATSAPP_API_VERSION": "v21.0",
            "WHATSAPP_TEMPLATE_NAME": "case_update",
            "STAFF_TELEGRAM_CHAT_ID": STAFF_CHAT_ID,
            "CONSOLE_BASE_URL": "https://console.example.test",
            # Retries in tests: quick back-off, few attempts.
            "SEND_MAX_ATTEMPTS": "3",
            "SEND_RETRY_BASE_MS": "50",
            "ALERT_POLL_SECONDS": "0.5",
            "LOG_LEVEL": "INFO",
            # Every test talks from 127.0.0.1: per-address limits would count the whole suite as one
            # person. Per-chat limits stay at their defaults (tests/channels/test_security.py).
            "REST_MESSAGES_PER_MINUTE_PER_ADDRESS": "100000",
            "STATUS_CHECKS_PER_HOUR_PER_ADDRESS": "100000",
            "REPORTS_PER_DAY_PER_ADDRESS": "100000",
        }
    )
    env.pop("TELEGRAM_WEBHOOK_URL", None)
    return env


def consecutive_free_ports(count: int) -> int:
    """The first of ``count`` free consecutive ports (RASA_REPLICAS uses RASA_PORT, RASA_PORT+1...)."""
    import socket

    for _ in range(50):
        first = free_port()
        try:
            for offset in range(1, count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", first + offset))
        except OSError:
            continue
        return first
    raise RuntimeError("no consecutive free ports")


@contextlib.contextmanager
def running_stack(
    replicas: int = 1, extra_env: Optional[Dict[str, str]] = None, database_url: Optional[str] = None
) -> Iterator[Stack]:
    """`make run` on a fresh PostgreSQL database (or on ``database_url``: a restart on the same
    data), with ``replicas`` Rasa servers; ``extra_env`` overrides settings."""
    model = get_settings().model_path
    if not model.exists():
        pytest.fail(f"{model} is missing: run `make train` (make test does it for you)")
    database = contextlib.nullcontext(database_url) if database_url else throwaway_postgres("stack")
    with (
        tempfile.TemporaryDirectory(prefix="stack-") as name,
        TelegramApiStandIn() as telegram,
        GraphApiStandIn(access_token=WHATSAPP_ACCESS_TOKEN) as graph,
        database as database_url,
    ):
        folder = Path(name)
        env = stack_environment(folder, database_url, telegram, graph)
        env["RASA_PORT"] = str(consecutive_free_ports(replicas))
        env["RASA_REPLICAS"] = str(replicas)
        env.update(extra_env or {})
        log_path = folder / "serve.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.serve"],
                cwd=get_settings().project_root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            rasa_urls = [f"http://127.0.0.1:{int(env['RASA_PORT']) + index}" for index in range(replicas)]
            try:
                for rasa_url in rasa_urls:
                    wait_until_up(f"{rasa_url}/status?token={RASA_API_TOKEN}", process, timeout=300)
                if env.get("ACTIONS_IN_PROCESS", "true").lower() in FALSE_WORDS:
                    # A separate action server must be up too before the first turn.
                    wait_until_up(f"http://127.0.0.1:{env['ACTION_PORT']}/health", process, timeout=120)
                yield Stack(rasa_urls[0], telegram, graph, env["DATABASE_URL"], env, log_path, rasa_urls, process.pid)
            finally:
                if process.poll() is None:
                    process.send_signal(2)  # Ctrl-C, as a person stops `make run`
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, 9)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def post(url: str, body: bytes, headers: Dict[str, str], timeout: float = 30.0):
    """POST raw bytes; returns (status, body text) also for 4xx/5xx."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")
