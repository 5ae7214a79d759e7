"""Rasa's lock store for several replicas: one turn at a time per conversation, atomically, in Redis.

Rasa's own ``RedisLockStore`` keeps a ticket list per conversation and updates it with separate
GET and SET calls: two replicas taking a ticket for the same conversation at the same moment can
both read the old list and both believe they hold the lock, and each turn costs six or seven
blocking round trips on Rasa's event loop, with a 1 s sleep for a waiting message. This store uses
the standard Redis mutex instead: ``SET key token NX PX lifetime`` to take it (one atomic
command), a compare-and-delete script to give it back (never another holder's lock), and the
asynchronous client, so waiting for Redis never blocks other users' turns. A holder that dies
leaves a key that expires after the lifetime (TICKET_LOCK_LIFETIME, Rasa's setting, 60 s).

endpoints.yml (bot/serve.py writes it): ``type: bot.storage.lock_store.AtomicRedisLockStore``
with ``url`` (host), ``port``, ``db``, ``password`` and ``use_ssl``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

import redis.asyncio as redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

logger = logging.getLogger(__name__)

KEY_PREFIX = "pandu:conversation-lock:"
# Waiting for a conversation's previous turn: quick first looks (turns take tens of milliseconds),
# then no more often than this.
FIRST_WAIT_SECONDS = 0.01
MAX_WAIT_SECONDS = 0.1
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class AtomicRedisLockStore(LockStore):
    def __init__(
        self,
        endpoint_config: Any = None,
        host: Text = "localhost",
        port: int = 6379,
        db: int = 0,
        password: Optional[Text] = None,
        use_ssl: bool = False,
        socket_timeout: float = 10,
    ) -> None:
        if endpoint_config is not None:
            settings = dict(endpoint_config.kwargs or {})
            host = endpoint_config.url or host
            port = int(settings.get("port", port))
            db = int(settings.get("db", db))
            password = settings.get("password", password)
            use_ssl = bool(settings.get("use_ssl", use_ssl))
            socket_timeout = float(settings.get("socket_timeout", socket_timeout))
        self.red = redis.Redis(
            host=host,
            port=port,
            db=db,
            password=password,
            ssl=use_ssl,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
        )
        self._release = self.red.register_script(RELEASE)

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock for the block. Waits while another turn holds it, at most
        one lifetime (then that holder is presumed dead and its key has expired); raises
        LockError if it still cannot be taken, and Redis's own errors when Redis is unreachable
        (the turn fails and the user is asked to send the message again: no turn runs unlocked)."""
        key = KEY_PREFIX + conversation_id
        token = secrets.token_hex(16)
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        deadline = time.monotonic() + lock_lifetime + 1
        wait = FIRST_WAIT_SECONDS
        while not await self.red.set(key, token, nx=True, px=lifetime_ms):
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_WAIT_SECONDS)
        try:
            yield TicketLock(conversation_id)
        finally:
            try:
                await self._release(keys=[key], args=[token])
            except redis.RedisError as error:
                # The turn is done and saved: failing it now would make the user send it again.
                # The key expires by itself after the lifetime.
                logger.warning("lock store: lock not released (%s); it expires by itself", type(error).__name__)
