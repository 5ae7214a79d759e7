"""The one Redis client of a process (REDIS_URL): shared counters between replicas.

Short timeouts: Redis sits beside the servers, and a caller that cannot reach it must fall back at
once (the message path answers rather than waits), not hang for the default of several minutes.
"""

from __future__ import annotations

from functools import lru_cache

import redis

CONNECT_TIMEOUT_SECONDS = 0.5
COMMAND_TIMEOUT_SECONDS = 1.0


@lru_cache(maxsize=4)
def redis_for(url: str) -> "redis.Redis":
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        health_check_interval=30,
    )
