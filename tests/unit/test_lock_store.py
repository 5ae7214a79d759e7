"""bot/storage/lock_store.py against this machine's Redis: one turn at a time per conversation
across replicas, others unhindered, a dead holder's lock expiring, nobody releasing another's."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
import redis as sync_redis

from bot.serve import endpoints_yaml
from bot.settings import Settings
from bot.storage.lock_store import KEY_PREFIX, AtomicRedisLockStore
from tests.databases import missing_service

REDIS_DB = 7


@pytest.fixture
def redis_available() -> None:
    try:
        sync_redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=1).ping()
    except sync_redis.RedisError as error:
        missing_service(f"Redis is not reachable on localhost: {type(error).__name__}")


def replicas(count: int):
    """Lock stores as separate replicas would have them (one client each)."""
    return [AtomicRedisLockStore(host="127.0.0.1", port=6379, db=REDIS_DB) for _ in range(count)]


def test_one_turn_at_a_time_per_conversation_across_replicas(redis_available) -> None:
    conversation = f"telegram:{secrets.token_hex(4)}"
    inside, most, order = 0, 0, []

    async def turn(store: AtomicRedisLockStore, number: int) -> None:
        nonlocal inside, most
        async with store.lock(conversation, lock_lifetime=10):
            inside += 1
            most = max(most, inside)
            order.append(number)
            await asyncio.sleep(0.02)
            inside -= 1

    async def main() -> None:
        stores = replicas(3)
        await asyncio.gather(*(turn(stores[number % 3], number) for number in range(12)))

    asyncio.run(main())
    assert most == 1 and sorted(order) == list(range(12))


def test_other_conversations_are_not_held_up(redis_available) -> None:
    async def main() -> float:
        first, second = replicas(2)
        async with first.lock(f"rest:{secrets.token_hex(4)}", lock_lifetime=10):
            started = time.monotonic()
            async with second.lock(f"rest:{secrets.token_hex(4)}", lock_lifetime=10):
                return time.monotonic() - started

    assert asyncio.run(main()) < 0.5


def test_a_dead_holders_lock_expires_and_nobody_releases_anothers(redis_available) -> None:
    conversation = f"whatsapp:{secrets.token_hex(4)}"
    plain = sync_redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    # A replica died holding the lock: its key stays until the lifetime runs out.
    plain.set(KEY_PREFIX + conversation, "dead-replica", px=700)

    async def main() -> float:
        [store] = replicas(1)
        started = time.monotonic()
        async with store.lock(conversation, lock_lifetime=5):
            waited = time.monotonic() - started
            # The dead replica's token cannot free our lock.
            assert await store._release(keys=[KEY_PREFIX + conversation], args=["dead-replica"]) == 0
            assert plain.get(KEY_PREFIX + conversation) not in (None, b"dead-replica")
        assert plain.get(KEY_PREFIX + conversation) is None  # released at the end of the turn
        return waited

    assert 0.3 < asyncio.run(main()) < 3


def test_endpoints_name_the_atomic_store_with_the_redis_settings() -> None:
    text = endpoints_yaml(
        Settings(redis_url="rediss://:s3cret-pass@cache.internal:6380/2", action_server_token="x" * 40)
    )
    assert "type: bot.storage.lock_store.AtomicRedisLockStore" in text
    for expected in ("url: cache.internal", "port: 6380", "db: 2", "password: s3cret-pass", "use_ssl: true"):
        assert expected in text
