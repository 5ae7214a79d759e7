"""Claiming rows with a lease, so that N replicas and N notifiers share one outbox or inbox.

A worker claims rows by writing its claim token and a lease expiry on rows that are free (no
lease, or an expired one). The claim is a conditional UPDATE: under PostgreSQL's READ COMMITTED
and under SQLite's single writer alike, of two workers updating the same row only one still finds
it free, so each row has one owner. On PostgreSQL the candidates are first read with
``FOR UPDATE SKIP LOCKED``, so workers claim disjoint rows without queueing behind each other
(SQLite ignores the clause; its writers are serialised anyway).

A worker that dies holding a claim only delays its rows: the lease runs out and another worker
claims them. Delivery stays at least once (a message sent just before a crash is sent again), and
a live worker never has its rows taken while the lease runs.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, List, Sequence

from sqlalchemy import Column, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

# This process's identity in claim tokens: a random value, never a host name or a pid that would
# repeat after a restart and let a new process believe it owns a dead one's rows.
PROCESS_CLAIM = secrets.token_hex(8)


def new_claim_token() -> str:
    """A token for one claim (one pass of a notifier, one inbox message)."""
    return f"{PROCESS_CLAIM}-{secrets.token_hex(8)}"


def is_free(lease_until: Column, now: dt.datetime) -> ColumnElement:
    return or_(lease_until.is_(None), lease_until < now)


# Rounds of reading candidates and claiming them: a round loses the rows another worker claimed
# between our read and our update (on SQLite, which cannot skip locked rows, it may lose them all).
CLAIM_ROUNDS = 4


def claim(
    session: Session,
    model: Any,
    candidates: Select,
    limit: int,
    now: dt.datetime,
    lease: dt.timedelta,
    token: str,
    extra_condition: Any = None,
    lock_of: Any = None,
) -> List[int]:
    """Claim up to ``limit`` rows of ``model`` that ``candidates`` selects (ids, in its order; it
    must only select free rows) and that are still free when updated; returns the ids claimed.

    ``model`` must have ``id``, ``lease_until`` and ``claim_token`` columns. ``extra_condition``
    is re-checked in the UPDATE (e.g. "still pending"): the row may have changed since it was read.
    """
    claimed: List[int] = []
    for _ in range(CLAIM_ROUNDS):
        wanted = limit - len(claimed)
        if wanted <= 0:
            break
        query = candidates.limit(wanted).with_for_update(skip_locked=True, of=lock_of or model)
        ids = [row_id for row_id in session.execute(query).scalars() if row_id not in claimed]
        if not ids:
            break
        condition = [model.id.in_(ids), is_free(model.lease_until, now)]
        if extra_condition is not None:
            condition.append(extra_condition)
        session.execute(
            update(model)
            .where(*condition)
            .values(lease_until=now + lease, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        won = set(session.execute(select(model.id).where(model.id.in_(ids), model.claim_token == token)).scalars())
        claimed += [row_id for row_id in ids if row_id in won]
        if len(won) == len(ids):
            break  # nothing lost: what is left is not free
    return claimed


def release(session: Session, model: Any, ids: Sequence[int], token: str) -> int:
    """Give rows back before their lease ends (they were claimed but are left for later)."""
    if not ids:
        return 0
    result = session.execute(
        update(model)
        .where(model.id.in_(list(ids)), model.claim_token == token)
        .values(lease_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
