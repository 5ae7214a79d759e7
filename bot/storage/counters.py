"""Atomic counters in fixed time windows: rate limits and lock-outs shared by every process.

``hit`` increments in SQL (``UPDATE … SET count = count + 1``), so eight parallel wrong guesses
count as eight, on SQLite and PostgreSQL alike; the row lock taken by the UPDATE orders parallel
transactions. Keys are ``kind:hash``: the subject (a sender id, a username, an address) is kept
only as a truncated keyed hash (HMAC-SHA-256), so this table holds nobody's phone number or address in clear, and its
rows are purged a day after their window ends (bot/privacy/retention.py).

``hit_many_fast`` is for limits on the message path, which need no transaction with other data:
one SQL write per message costs more than the model's own parse (issue 11's profile), so those
counts go to Redis (INCRBY and EXPIRE in one MULTI: atomic, shared by every replica) when REDIS_URL
is set, and otherwise stay in this process, which is then the only Rasa server
(Settings.scaling_problems refuses replicas without Redis).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from typing import Dict, Iterable, List, Sequence, Tuple

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.settings import get_settings
from bot.storage.models import SecurityCounter

EPOCH = dt.datetime(1970, 1, 1)


def counter_key(kind: str, *subject: object) -> str:
    """``kind:`` and a keyed hash of the subject parts (never the subject itself). Keyed with a
    server secret: phone numbers and addresses are few enough that a plain hash could be reversed
    by trying them all. Each kind of process (Rasa, actions, console) counts its own keys, and its
    replicas share their secrets, so the keys agree wherever they must."""
    digest = hmac.new(
        _pepper(), "\x1f".join(str(part) for part in subject).encode("utf-8"), hashlib.sha256
    ).hexdigest()[:40]
    return f"{kind}:{digest}"


def _pepper() -> bytes:
    settings = get_settings()
    secret = settings.action_server_token or settings.console_secret_key or settings.rasa_api_token
    return hashlib.sha256(b"pandu counters v1\x00" + secret.encode("utf-8")).digest()


def window_start(now: dt.datetime, window_seconds: int) -> dt.datetime:
    seconds = int((now - EPOCH).total_seconds())
    return EPOCH + dt.timedelta(seconds=seconds - seconds % max(1, window_seconds))


def window_end(now: dt.datetime, window_seconds: int) -> dt.datetime:
    return window_start(now, window_seconds) + dt.timedelta(seconds=max(1, window_seconds))


def hit(session: Session, key: str, window_seconds: int, now: dt.datetime, amount: int = 1) -> int:
    """Add ``amount`` to the key's count in the current window; returns the count after it."""
    start = window_start(now, window_seconds)
    condition = (SecurityCounter.key == key, SecurityCounter.window_start == start)
    for _ in range(3):
        changed = session.execute(
            update(SecurityCounter)
            .where(*condition)
            .values(count=SecurityCounter.count + amount)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            break
        try:
            # The first hit of a window creates the row; of two first hits, the loser of the
            # unique-key race goes round again and increments the winner's row.
            with session.begin_nested():
                session.add(SecurityCounter(key=key, window_start=start, count=amount))
                session.flush()
            break
        except IntegrityError:
            continue
    return int(session.execute(select(SecurityCounter.count).where(*condition)).scalar_one())


def current(session: Session, key: str, window_seconds: int, now: dt.datetime) -> int:
    start = window_start(now, window_seconds)
    value = session.execute(
        select(SecurityCounter.count).where(SecurityCounter.key == key, SecurityCounter.window_start == start)
    ).scalar()
    return int(value or 0)


def clear(session: Session, keys: Iterable[str]) -> None:
    """Forget these keys in every window (after a successful sign-in, say)."""
    keys = list(keys)
    if keys:
        session.execute(
            delete(SecurityCounter).where(SecurityCounter.key.in_(keys)).execution_options(synchronize_session=False)
        )


def forget_before(session: Session, before: dt.datetime) -> int:
    """Remove windows that started before ``before``; returns how many rows went."""
    return (
        session.execute(
            delete(SecurityCounter)
            .where(SecurityCounter.window_start < before)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


# --- counters of the message path (Redis, or this process) -------------------------------------

_memory: Dict[Tuple[str, int, dt.datetime], int] = {}
_memory_lock = threading.Lock()
# Windows kept in memory before old ones are dropped (every key of a busy hour fits many times).
MEMORY_LIMIT = 100_000


def hit_many_fast(hits: Sequence[Tuple[str, int]], now: dt.datetime) -> List[int]:
    """Count one hit on each ``(key, window_seconds)``; returns each count after it. Raises when
    Redis is configured and cannot be reached (the caller decides whether to fail open)."""
    url = get_settings().redis_url
    if url:
        return _redis_hits(url, hits, now)
    return _memory_hits(hits, now)


def _redis_hits(url: str, hits: Sequence[Tuple[str, int]], now: dt.datetime) -> List[int]:
    from bot.storage.redis_client import redis_for

    pipeline = redis_for(url).pipeline(transaction=True)
    for key, window in hits:
        start = window_start(now, window)
        name = f"pandu:counter:{key}:{int((start - EPOCH).total_seconds())}"
        pipeline.incrby(name, 1)
        # Kept one window beyond its end, then Redis forgets it: nothing to purge.
        pipeline.expire(name, 2 * max(1, window))
    results = pipeline.execute()
    return [int(results[index]) for index in range(0, len(results), 2)]


def _memory_hits(hits: Sequence[Tuple[str, int]], now: dt.datetime) -> List[int]:
    counts = []
    with _memory_lock:
        if len(_memory) > MEMORY_LIMIT:
            # Senders are chosen by callers: drop every window that has ended, not only old ones.
            for stale in [item for item in _memory if item[2] + dt.timedelta(seconds=item[1]) <= now]:
                del _memory[stale]
        for key, window in hits:
            item = (key, window, window_start(now, window))
            _memory[item] = _memory.get(item, 0) + 1
            counts.append(_memory[item])
    return counts
