"""Start the real action server and Rasa server on free loopback ports, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

from bot.action_server import TOKEN_HEADER
from bot.channels.rest import REST_PREFIX
from bot.serve import child_environment, write_endpoints
from bot.settings import get_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_addresses(port: int) -> set:
    """Local addresses with a listening TCP socket on ``port``, from /proc/net/tcp and tcp6: IPv4
    ones dotted ("127.0.0.1"), IPv6 ones as the kernel's hex (so "::" shows as 32 zeros)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.add(
                    ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)) if len(address) == 8 else address
                )
    return found


def http_json(url: str, payload: Optional[Dict[str, Any]] = None, timeout: float = 60.0) -> Any:
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# Benchmarks and tests send hundreds of conversations from 127.0.0.1, each a fresh sender: the
# per-address and per-chat limits would stop them, so they are lifted here (and only here).
BENCHMARK_LIMITS = {
    "REST_MESSAGES_PER_MINUTE_PER_ADDRESS": "1000000",
    "REST_MESSAGES_PER_MINUTE": "100000",
    "STATUS_CHECKS_PER_HOUR_PER_ADDRESS": "1000000",
    "REPORTS_PER_DAY_PER_ADDRESS": "1000000",
}


@dataclass(frozen=True)
class ActionServer:
    url: str
    token: str

    @property
    def headers(self) -> Dict[str, str]:
        return {TOKEN_HEADER: self.token}


@contextlib.contextmanager
def action_server(log_dir: Path) -> Iterator[ActionServer]:
    """The real action server (python -m bot.action_server, as `make run` starts it) with a fresh
    token; yields its webhook URL and token."""
    port = free_port()
    token = secrets.token_urlsafe(32)
    env = child_environment()
    env.update({"ACTION_PORT": str(port), "ACTION_SERVER_TOKEN": token, "BIND_HOST": "127.0.0.1", **BENCHMARK_LIMITS})
    log = (log_dir / "actions.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server"],
        cwd=get_settings().project_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, timeout=120)
        yield ActionServer(f"http://127.0.0.1:{port}/webhook", token)
    finally:
        stop_process(process)
        log.close()


@dataclass
class RasaServer:
    base_url: str
    # Rasa's HTTP API (/model/parse, /conversations/...) wants this token, as under `make run`;
    # the channel webhooks do not.
    api_token: str = ""

    def _api(self, path: str) -> str:
        return (
            f"{self.base_url}{path}?token={urllib.parse.quote(self.api_token)}"
            if self.api_token
            else f"{self.base_url}{path}"
        )

    def parse(self, text: str) -> Dict[str, Any]:
        return http_json(self._api("/model/parse"), {"text": text})

    def send(self, sender: str, text: str) -> List[Dict[str, Any]]:
        return http_json(f"{self.base_url}/webhooks/rest/webhook", {"sender": sender, "message": text})

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The conversation as Rasa's HTTP API shows it: events (actions run, slots set, what the
        bot said) and the slots' current values. REST senders live under ``rest:`` (no other
        channel's users can be named from REST)."""
        return http_json(self._api(f"/conversations/{urllib.parse.quote(REST_PREFIX + sender, safe=':')}/tracker"))


@contextlib.contextmanager
def rasa_server(model_path: Path, actions: Optional[ActionServer], log_dir: Path) -> Iterator[RasaServer]:
    """The real Rasa server as `make run` starts it (python -m bot.rasa_server: the REST channel,
    the redacting SQL tracker store in a fresh SQLite file, the API behind a fresh token), with
    the custom actions inside it (the default) or, given ``actions``, in that action server."""
    port = free_port()
    token = secrets.token_urlsafe(32)
    env = child_environment()
    env.update(
        {
            "RASA_PORT": str(port),
            "RASA_API_TOKEN": token,
            "BIND_HOST": "127.0.0.1",
            "TRACKER_STORE_URL": f"sqlite:///{log_dir / 'tracker.db'}",
            "MODEL_PATH": str(model_path),
            "ACTIONS_IN_PROCESS": "false" if actions else "true",
        }
    )
    env.pop("ACTION_SERVER_URL", None)
    if actions:
        env.update({"ACTION_SERVER_TOKEN": actions.token, "ACTION_PORT": actions.url.rsplit(":", 1)[1].split("/")[0]})
    env.update(BENCHMARK_LIMITS)
    endpoints = log_dir / "endpoints.yml"
    settings = dataclasses.replace(
        get_settings(),
        bind_host="127.0.0.1",
        tracker_store_url=env["TRACKER_STORE_URL"],
        redis_url="",
        action_server_url="",
        actions_in_process_setting=env["ACTIONS_IN_PROCESS"],
    )
    if actions:
        settings = dataclasses.replace(settings, action_port=int(env["ACTION_PORT"]), action_server_token=actions.token)
    write_endpoints(settings, endpoints)
    log = (log_dir / "rasa.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.rasa_server", str(endpoints)],
        cwd=get_settings().project_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # Loading the model takes tens of seconds.
        server = RasaServer(f"http://127.0.0.1:{port}", api_token=token)
        wait_until_up(server._api("/status"), process, timeout=300)
        yield server
    finally:
        stop_process(process)
        log.close()


@contextlib.contextmanager
def assistant(model_path: Path) -> Iterator[RasaServer]:
    """The Rasa server with its actions inside, as `make run` runs it; logs in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="assistant-") as folder:
        with rasa_server(model_path, None, Path(folder)) as server:
            yield server


@contextlib.contextmanager
def notifier_process(env: Dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """``python -m bot.alerts.notifier`` as `make run` starts it, its output in ``log_path``;
    killed at the end if the test did not stop it."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.alerts.notifier"],
            cwd=get_settings().project_root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; returns the last result."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True
