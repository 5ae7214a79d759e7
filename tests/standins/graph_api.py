"""A local stand-in for Meta's Graph API (WhatsApp Cloud API ``/messages``), for tests.

It speaks the real wire format: ``POST {base}/{version}/{phone number id}/messages`` with a JSON
body and ``Authorization: Bearer <token>``; success is ``{"messaging_product": "whatsapp",
"contacts": [...], "messages": [{"id": "wamid..."}]}``, failure a Graph error object
``{"error": {"message", "type", "code", "fbtrace_id"}}`` (plus ``Retry-After`` when queued).
It also refuses bodies the real API would refuse for their shape (too many buttons, titles too
long...), so a rendering mistake fails a test instead of a user's chat. Every call is recorded.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from tests.standins.loopback import LoopbackServer

MESSAGES_PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)/messages$")
# Graph error codes the stand-in answers with when a test does not choose one.
DEFAULT_ERROR_CODES = {400: 100, 401: 190, 403: 10, 404: 100, 429: 130429}
INVALID_TOKEN_CODE = 190
INVALID_PARAMETER_CODE = 100


@dataclass
class GraphRequest:
    """One call as the stand-in saw it, and the HTTP status it answered."""

    method: str
    path: str
    headers: Dict[str, str]
    json: Any
    status: int = 0

    @property
    def to(self) -> Optional[str]:
        return self.json.get("to") if isinstance(self.json, dict) else None

    @property
    def is_messages_call(self) -> bool:
        return self.method == "POST" and MESSAGES_PATH.match(self.path) is not None

    @property
    def text(self) -> str:
        """The words the user would read (text body, interactive body or template parameter)."""
        body = self.json if isinstance(self.json, dict) else {}
        kind = body.get("type")
        content = body.get(kind) if isinstance(body.get(kind), dict) else {}
        if kind == "text":
            return str(content.get("body", ""))
        if kind == "interactive":
            return str((content.get("body") or {}).get("text", ""))
        if kind == "template":
            parameters = [p.get("text", "") for c in content.get("components") or [] for p in c.get("parameters") or []]
            return " ".join(str(p) for p in parameters)
        return ""


@dataclass
class QueuedFailure:
    status: int
    retry_after: Optional[int] = None
    error_code: Optional[int] = None
    to: Optional[str] = None


@dataclass
class GraphApiStandIn(LoopbackServer):
    access_token: str = "EAAG-stand-in-token"
    requests: List[GraphRequest] = field(default_factory=list)
    failures: Deque[QueuedFailure] = field(default_factory=deque)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _server: Optional[ThreadingHTTPServer] = None
    _message_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    # recipient -> its /messages calls (the bench's users each wait on their own).
    _by_recipient: Dict[str, List[GraphRequest]] = field(default_factory=dict)

    # --- control from tests ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What WHATSAPP_API_BASE_URL should be."""
        return f"http://127.0.0.1:{self.port}"

    def fail_next(
        self,
        status: int,
        times: int = 1,
        retry_after: Optional[int] = None,
        error_code: Optional[int] = None,
        to: Optional[str] = None,
    ) -> None:
        """The next ``times`` /messages calls (with a good token; to ``to`` when given, so a test
        sharing the stand-in with others' background sends gets its own failures) answer ``status``."""
        with self._lock:
            for _ in range(times):
                self.failures.append(QueuedFailure(status, retry_after, error_code, to))

    def messages_to(self, to: Optional[str] = None, delivered_only: bool = False) -> List[GraphRequest]:
        """/messages calls (to one recipient when given), oldest first; ``delivered_only`` keeps
        those the stand-in accepted."""
        with self._lock:
            return self._matching(to, delivered_only)

    def wait_for(
        self, count: int = 1, to: Optional[str] = None, timeout: float = 60.0, delivered_only: bool = False
    ) -> List[GraphRequest]:
        """Block until at least ``count`` /messages calls (to ``to`` when given) were recorded."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self._matching(to, delivered_only)
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} /messages call(s), got {len(found)}")
                self._lock.wait(remaining)

    def wait_until(
        self,
        condition: Callable[[List[GraphRequest]], bool],
        to: Optional[str] = None,
        timeout: float = 60.0,
        delivered_only: bool = True,
    ) -> List[GraphRequest]:
        """Block until ``condition`` holds for the /messages calls (to ``to`` when given)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self._matching(to, delivered_only)
                if condition(found):
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met; {len(found)} /messages call(s) recorded")
                self._lock.wait(remaining)

    def _matching(self, to: Optional[str], delivered_only: bool) -> List[GraphRequest]:
        candidates = self._by_recipient.get(to, []) if to is not None else self.requests
        return [
            r
            for r in candidates
            if r.is_messages_call and (to is None or r.to == to) and (not delivered_only or 200 <= r.status < 300)
        ]

    # --- the API ----------------------------------------------------------------------------------
    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path = urllib.parse.urlparse(request.path).path
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        recorded = GraphRequest(method, path, {k: v for k, v in request.headers.items()}, body)
        with self._lock:
            status, payload, headers = self._answer(recorded, request.headers.get("Authorization", ""))
            recorded.status = status
            self.requests.append(recorded)
            if recorded.is_messages_call and recorded.to is not None:
                self._by_recipient.setdefault(recorded.to, []).append(recorded)
            self._lock.notify_all()
        self.reply_json(request, status, payload, headers)

    def _answer(self, call: GraphRequest, authorization: str) -> Tuple[int, Dict[str, Any], Dict[str, str]]:
        """Called with the lock held (it may take a queued failure)."""
        if not call.is_messages_call:
            return _error(404, INVALID_PARAMETER_CODE, "Unknown path components")
        if authorization != f"Bearer {self.access_token}":
            return _error(401, INVALID_TOKEN_CODE, "Invalid OAuth access token.", "OAuthException")
        failure = self._take_failure(call.to)
        if failure is not None:
            code = failure.error_code if failure.error_code is not None else DEFAULT_ERROR_CODES.get(failure.status, 1)
            status, payload, headers = _error(failure.status, code, "stand-in failure")
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            return status, payload, headers
        problem = body_problem(call.json)
        if problem is not None:
            return _error(400, INVALID_PARAMETER_CODE, f"(#100) {problem}")
        to = call.json["to"]
        return (
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.{next(self._message_ids)}"}],
            },
            {},
        )

    def _take_failure(self, to: Optional[str]) -> Optional[QueuedFailure]:
        for failure in self.failures:
            if failure.to is None or failure.to == to:
                self.failures.remove(failure)
                return failure
        return None


def _error(
    status: int, code: int, message: str, kind: str = "OAuthException"
) -> Tuple[int, Dict[str, Any], Dict[str, str]]:
    return status, {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "stand-in"}}, {}


# --- what the real API refuses (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages)


def body_problem(body: Any) -> Optional[str]:
    """Why the Graph API would refuse this /messages body, or None."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if not isinstance(body.get("to"), str) or not body["to"]:
        return "to is required"
    kind = body.get("type")
    checks = {"text": _text_problem, "interactive": _interactive_problem, "template": _template_problem}
    if kind not in checks or not isinstance(body.get(kind), dict):
        return "unsupported message type"
    return checks[kind](body[kind])


def _text_problem(text: Dict[str, Any]) -> Optional[str]:
    value = text.get("body")
    if not isinstance(value, str) or not value.strip() or len(value) > 4096:
        return "text.body must be 1-4096 characters"
    return None


def _interactive_problem(interactive: Dict[str, Any]) -> Optional[str]:
    text = (interactive.get("body") or {}).get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 1024:
        return "interactive.body.text must be 1-1024 characters"
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        buttons = action.get("buttons") or []
        titles = [(b.get("reply") or {}).get("title", "") for b in buttons]
        ids = [(b.get("reply") or {}).get("id", "") for b in buttons]
        if not 1 <= len(buttons) <= 3 or any(not t or len(t) > 20 for t in titles) or len(set(ids)) != len(ids):
            return "1-3 reply buttons with unique ids and titles of at most 20 characters"
        return None
    if interactive.get("type") == "list":
        rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
        ids = [row.get("id", "") for row in rows]
        if not action.get("button") or len(action["button"]) > 20:
            return "action.button must be 1-20 characters"
        if (
            not 1 <= len(rows) <= 10
            or len(set(ids)) != len(ids)
            or any(
                not row.get("title")
                or len(row["title"]) > 24
                or len(row.get("description", "")) > 72
                or not row.get("id")
                or len(row["id"]) > 200
                for row in rows
            )
        ):
            return "1-10 list rows with unique ids, titles of at most 24 and descriptions of at most 72 characters"
        return None
    return "unsupported interactive type"


def _template_problem(template: Dict[str, Any]) -> Optional[str]:
    if not template.get("name") or not (template.get("language") or {}).get("code"):
        return "template name and language.code are required"
    for component in template.get("components") or []:
        for parameter in component.get("parameters") or []:
            text = parameter.get("text", "")
            if "\n" in text or "\t" in text or "    " in text:
                return "template parameters may not hold new lines, tabs or more than 4 spaces"
    return None
