"""Start the real action server and Rasa server on free loopback ports, for tests and benchmarks."""
from __future__ import annotations

import contextlib
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

from bot.serve import child_environment
from bot.settings import get_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


@contextlib.contextmanager
def action_server(log_dir: Path) -> Iterator[str]:
    """The real rasa_sdk action server; yields its webhook URL."""
    port = free_port()
    log = (log_dir / "actions.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=get_settings().project_root, env=child_environment(), stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, timeout=120)
        yield f"http://127.0.0.1:{port}/webhook"
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
        return f"{self.base_url}{path}?token={urllib.parse.quote(self.api_token)}" if self.api_token else f"{self.base_url}{path}"

    def parse(self, text: str) -> Dict[str, Any]:
        return http_json(self._api("/model/parse"), {"text": text})

    def send(self, sender: str, text: str) -> List[Dict[str, Any]]:
        return http_json(f"{self.base_url}/webhooks/rest/webhook", {"sender": sender, "message": text})

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The conversation as Rasa's HTTP API shows it: events (actions run, slots set, what the
        bot said) and the slots' current values."""
        return http_json(self._api(f"/conversations/{urllib.parse.quote(sender, safe='')}/tracker"))


@contextlib.contextmanager
def rasa_server(model_path: Path, action_url: str, log_dir: Path) -> Iterator[RasaServer]:
    """The real Rasa server with the REST channel and an in-memory tracker store; its HTTP API
    is protected by a fresh token, as under `make run`."""
    port = free_port()
    token = secrets.token_urlsafe(24)
    endpoints = log_dir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{action_url}"\n', encoding="utf-8")
    log = (log_dir / "rasa.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--model", str(model_path), "--port", str(port),
         "--endpoints", str(endpoints), "--credentials", "credentials.yml", "--enable-api", "--auth-token", token],
        cwd=get_settings().project_root, env=child_environment(), stdout=log, stderr=subprocess.STDOUT,
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
    """Both servers, logs in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="assistant-") as folder:
        log_dir = Path(folder)
        with action_server(log_dir) as action_url, rasa_server(model_path, action_url, log_dir) as server:
            yield server


@contextlib.contextmanager
def notifier_process(env: Dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """``python -m bot.alerts.notifier`` as `make run` starts it, its output in ``log_path``;
    killed at the end if the test did not stop it."""
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot.alerts.notifier"], cwd=get_settings().project_root,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
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
