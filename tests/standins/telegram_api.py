"""A local stand-in for Telegram's Bot API (https://core.telegram.org/bots/api), for tests.

It speaks the real wire format: python-telegram-bot posts form fields whose values are JSON, at
``{base}/bot<token>/<method>``, and reads ``{"ok": true, "result": ...}`` or an error with
``parameters.retry_after``. Every call is recorded; failures can be queued per method.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Deque, Dict, List, Optional, Tuple

from tests.standins.loopback import LoopbackServer

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "Pandu Migran", "username": "pandu_migran_bot"}


@dataclass
class BotApiCall:
    token: str
    method: str
    params: Dict[str, Any]


@dataclass
class QueuedFailure:
    status: int
    description: str
    retry_after: Optional[int] = None


@dataclass
class TelegramApiStandIn(LoopbackServer):
    token: str = "123456:TEST-TOKEN"
    # Seconds every answer takes, as a slow network would (0: at once).
    response_delay_seconds: float = 0.0
    calls: List[BotApiCall] = field(default_factory=list)
    updates: Deque[Dict[str, Any]] = field(default_factory=deque)
    failures: Dict[str, Deque[QueuedFailure]] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _server: Optional[ThreadingHTTPServer] = None
    _message_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1000))
    # (method, chat id) -> its calls: the bench's 20 users each wait on their own chat, and
    # scanning every call on every wake-up cost the load generator more CPU than the server.
    _by_chat: Dict[Tuple[str, str], List[BotApiCall]] = field(default_factory=dict)

    # --- control from tests ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL should be (python-telegram-bot appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def fail_next(
        self,
        method: str,
        status: int,
        times: int = 1,
        retry_after: Optional[int] = None,
        description: str = "stand-in failure",
    ) -> None:
        with self._lock:
            queue = self.failures.setdefault(method, deque())
            for _ in range(times):
                queue.append(QueuedFailure(status, description, retry_after))

    def calls_to(self, method: str, chat_id: Optional[Any] = None) -> List[BotApiCall]:
        with self._lock:
            return self._matching(method, chat_id)

    def _matching(self, method: str, chat_id: Optional[Any]) -> List[BotApiCall]:
        if chat_id is not None:
            return list(self._by_chat.get((method, str(chat_id)), ()))
        return [c for c in self.calls if c.method == method]

    def wait_for(
        self, method: str, count: int = 1, chat_id: Optional[Any] = None, timeout: float = 60.0
    ) -> List[BotApiCall]:
        """Block until at least ``count`` successful-or-not calls to ``method`` were made."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self._matching(method, chat_id)
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} {method} call(s), got {len(found)}")
                self._lock.wait(remaining)

    def queue_update(self, update: Dict[str, Any]) -> None:
        """An update getUpdates will return (polling mode)."""
        with self._lock:
            self.updates.append(update)

    # --- the API ----------------------------------------------------------------------------------
    def handle(self, request: BaseHTTPRequestHandler, http_method: str) -> None:
        path = urllib.parse.urlparse(request.path).path
        parts = path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return self.reply_json(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        # The Bot API takes GET and POST alike; the method is in the path.
        token, method = parts[0][3:], parts[1]
        params = self._params(request)
        with self._lock:
            call = BotApiCall(token, method, params)
            self.calls.append(call)
            self._by_chat.setdefault((method, str(params.get("chat_id"))), []).append(call)
            self._lock.notify_all()
            failure = self.failures.get(method, deque()).popleft() if self.failures.get(method) else None
        if self.response_delay_seconds:
            time.sleep(self.response_delay_seconds)
        if token != self.token:
            return self.reply_json(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if failure is not None:
            body: Dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return self.reply_json(request, failure.status, body)
        status, result = self._result(method, params)
        self.reply_json(request, status, result)

    @staticmethod
    def _params(request: BaseHTTPRequestHandler) -> Dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        content_type = request.headers.get("Content-Type", "")
        if "application/json" in content_type:
            return json.loads(raw or b"{}")
        params: Dict[str, Any] = {}
        for key, value in urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                params[key] = value
        return params

    def _result(self, method: str, params: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat_id = params.get("chat_id")
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            return 200, {"ok": True, "result": message}
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook", "setMyCommands", "sendChatAction"):
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            timeout = float(params.get("timeout") or 0)
            deadline = time.monotonic() + min(timeout, 2.0)
            with self._lock:
                while True:
                    while self.updates and self.updates[0]["update_id"] < offset:
                        self.updates.popleft()
                    if self.updates or time.monotonic() >= deadline:
                        return 200, {"ok": True, "result": list(self.updates)}
                    self._lock.wait(max(0.0, deadline - time.monotonic()))
        if method == "getWebhookInfo":
            return 200, {"ok": True, "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0}}
        return 404, {"ok": False, "error_code": 404, "description": f"Not Found: method {method}"}
