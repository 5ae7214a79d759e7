"""The WhatsApp Cloud API client: messages sent through Meta's Graph API ``/messages``.

``GraphApi`` takes its ``httpx.AsyncClient`` from the caller (the connector keeps one per event
loop and access token; tests give their own), so connections are reused and nothing here opens
one per message. Errors carry only what is safe to log: the HTTP status, Meta's error code and
the wait it asked for, never the body (it can quote the message or the recipient).
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence

import httpx

from bot.channels.delivery import GiveUp, Retry, parse_retry_after, send_with_retries
from bot.settings import Settings

REQUEST_TIMEOUT_SECONDS = 10.0
# Graph API errors that mean "slow down" or "try later" even though some come as HTTP 400:
# 4 app rate limit, 80007 account rate limit, 130429 throughput limit, 131056 too many messages
# to one user, 131016 service temporarily unavailable. Any other 4xx will fail the same way again.
RETRYABLE_GRAPH_CODES = frozenset({4, 80007, 130429, 131016, 131056})


class GraphApiError(Exception):
    """A non-2xx answer from the Graph API. Carries only what is safe to log."""

    def __init__(self, status: int, code: Optional[int], retry_after: Optional[float]) -> None:
        super().__init__(f"graph api {status} code {code}")
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def reason(self) -> str:
        return f"graph api {self.status} code {self.code}"


def graph_error_code(payload: Any) -> Optional[int]:
    """``error.code`` of a Graph API error body, if it has one (the message text is not kept)."""
    error = payload.get("error") if isinstance(payload, Mapping) else None
    code = error.get("code") if isinstance(error, Mapping) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def classify_send_error(error: BaseException) -> "Retry | GiveUp":
    """Rate limits, server errors and network trouble pass; anything else will fail again."""
    if isinstance(error, GraphApiError):
        if error.status == 429 or error.status >= 500 or error.code in RETRYABLE_GRAPH_CODES:
            return Retry(error.reason, after=error.retry_after)
        return GiveUp(error.reason)
    if isinstance(error, httpx.TransportError):  # connection refused, reset, timeouts
        return Retry(type(error).__name__)
    return GiveUp(type(error).__name__)


def new_http_client(access_token: str) -> httpx.AsyncClient:
    """An HTTP client that authenticates as the WhatsApp business account."""
    return httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, headers={"Authorization": f"Bearer {access_token}"})


# One HTTP client per event loop and access token, kept open: a new client per message cost a new
# connection (and in production a TLS handshake) for every reply (issue 11's profile).
_shared: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[str, httpx.AsyncClient]]" = (
    weakref.WeakKeyDictionary()
)


def shared_http_client(access_token: str) -> httpx.AsyncClient:
    """This event loop's HTTP client for ``access_token`` (made on first use, again if closed)."""
    per_token = _shared.setdefault(asyncio.get_running_loop(), {})
    client = per_token.get(access_token)
    if client is None or client.is_closed:
        client = per_token[access_token] = new_http_client(access_token)
    return client


@dataclass(frozen=True)
class GraphApi:
    """The ``/messages`` endpoint of one business phone number."""

    http: httpx.AsyncClient
    base_url: str
    version: str
    phone_number_id: str

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient) -> "GraphApi":
        return cls(
            http, settings.whatsapp_api_base_url, settings.whatsapp_api_version, settings.whatsapp_phone_number_id
        )

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.version}/{self.phone_number_id}/messages"

    async def post_message(self, body: Dict[str, Any]) -> None:
        """One POST, no retry; raises GraphApiError (or httpx's TransportError)."""
        reply = await self.http.post(self.messages_url, json=body)
        if reply.is_success:
            return
        try:
            code = graph_error_code(reply.json())
        except ValueError:  # not JSON (a proxy's error page)
            code = None
        raise GraphApiError(reply.status_code, code, parse_retry_after(reply.headers.get("Retry-After")))

    async def send_messages(
        self, bodies: Sequence[Dict[str, Any]], max_attempts: int, base_seconds: float, what: str = "whatsapp send"
    ) -> None:
        """POST each body in order, each with retries. The first that cannot be sent raises
        DeliveryFailed and the rest are not sent: half a message with its buttons missing, or the
        second half of a long answer without the first, would mislead."""
        for body in bodies:
            await send_with_retries(
                functools.partial(self.post_message, body),
                classify_send_error,
                max_attempts=max(1, max_attempts),
                base_seconds=base_seconds,
                what=what,
            )
