"""The staff-alert outbox: which reports owe an alert, which alerts are due, and their outcomes.

A ``StaffAlert`` row is added in the same transaction as its report (bot/storage/reports.py), so
an alert exists exactly when the report does, whatever crashes afterwards. The notifier reads due
rows and records each outcome here (for a batched alert, the outcome of every alert in it, in one
transaction). Delivery is at least once: an alert sent just before a crash, and not yet marked
sent, is sent again after the restart. Any number of notifiers may share the database: a pass
claims its due alerts with a lease (bot/storage/leases.py), so no two notifiers send the same one.

Every function takes an open session; callers own the transaction (bot.storage.db.transaction).
Times are naive UTC, like every timestamp in bot/storage/models.py.
"""

from __future__ import annotations

import datetime as dt
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, joinedload

from bot.storage.leases import claim, is_free, release
from bot.storage.models import Report, StaffAlert

# Staff act on these at once; medium and low reports wait for the console's normal review.
ALERT_LEVELS = frozenset({"urgent", "high"})

FIRST_RETRY_SECONDS = 5
MAX_RETRY_DELAY = dt.timedelta(minutes=30)
# With the delays above, 20 attempts span about six hours: long enough to outlast an outage or a
# misconfigured chat, short enough that staff are not told about a case a day late.
MAX_ATTEMPTS = 20
# A pending alert older than this is no longer news; the console shows the report anyway.
MAX_AGE = dt.timedelta(days=7)
EXPIRED = "expired"
ERROR_LIMIT = 200  # length of staff_alerts.last_error
# How long a notifier's pass holds the alerts it claimed: far longer than a pass takes (a few
# messages, each retried on the spot for seconds), so a live notifier never loses its alerts.
CLAIM_LEASE = dt.timedelta(minutes=10)


def needs_staff_alert(risk_level: str) -> bool:
    return risk_level in ALERT_LEVELS


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failed attempt: 10 s, 20 s, 40 s... capped at 30 minutes."""
    # The cap is checked on the exponent too, so a huge count cannot build a huge integer.
    exponent = min(max(0, attempts), 20)
    return min(dt.timedelta(seconds=FIRST_RETRY_SECONDS * 2**exponent), MAX_RETRY_DELAY)


def next_attempt_time(now: dt.datetime, attempts: int, retry_after: Optional[float] = None) -> dt.datetime:
    """Back-off after a failure, never sooner than the platform asked (Telegram's retry_after)."""
    delay = retry_delay(attempts)
    if retry_after is not None:
        delay = max(delay, dt.timedelta(seconds=retry_after))
    return now + delay


def expire_stale(session: Session, now: dt.datetime, max_age: dt.timedelta = MAX_AGE) -> int:
    """Mark pending alerts older than ``max_age`` failed instead of sending them late. Returns
    how many were expired."""
    result = session.execute(
        update(StaffAlert)
        .where(StaffAlert.status == "pending", StaffAlert.created_at < now - max_age)
        .values(status="failed", last_error=EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def due_alerts(session: Session, now: dt.datetime, limit: int) -> List[StaffAlert]:
    """Pending alerts whose time has come, the longest-waiting first."""
    query = (
        select(StaffAlert)
        .where(StaffAlert.status == "pending", StaffAlert.next_attempt_at <= now)
        .order_by(StaffAlert.next_attempt_at, StaffAlert.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def due_with_reports(session: Session, now: dt.datetime, limit: int) -> List[Tuple[StaffAlert, Report]]:
    """Due alerts with their reports, urgent ones first and then the longest-waiting: when more
    are due than one pass takes (a flood), the urgent ones are not the ones left for later.
    Alerts another notifier holds are not due here."""
    urgent_first = case((Report.risk_level == "urgent", 0), else_=1)
    query = (
        select(StaffAlert, Report)
        .join(Report, Report.id == StaffAlert.report_id)
        .options(joinedload(Report.recruiter))
        .where(StaffAlert.status == "pending", StaffAlert.next_attempt_at <= now, is_free(StaffAlert.lease_until, now))
        .order_by(urgent_first, StaffAlert.next_attempt_at, StaffAlert.id)
        .limit(limit)
    )
    return [(alert, report) for alert, report in session.execute(query).unique()]


def claim_due_with_reports(
    session: Session, now: dt.datetime, limit: int, token: str, lease: dt.timedelta = CLAIM_LEASE
) -> List[Tuple[StaffAlert, Report]]:
    """Claim the due alerts (in due_with_reports' order) for one pass, and return them with their
    reports. Recording an outcome (mark_sent, mark_retry) ends the claim; release_claims gives
    back what the pass did not get to."""
    urgent_first = case((Report.risk_level == "urgent", 0), else_=1)
    candidates = (
        select(StaffAlert.id)
        .join(Report, Report.id == StaffAlert.report_id)
        .where(StaffAlert.status == "pending", StaffAlert.next_attempt_at <= now, is_free(StaffAlert.lease_until, now))
        .order_by(urgent_first, StaffAlert.next_attempt_at, StaffAlert.id)
    )
    ids = claim(
        session, StaffAlert, candidates, limit, now, lease, token, StaffAlert.status == "pending", lock_of=StaffAlert
    )
    if not ids:
        return []
    rows = {
        alert.id: (alert, report)
        for alert, report in session.execute(
            select(StaffAlert, Report)
            .join(Report, Report.id == StaffAlert.report_id)
            .options(joinedload(Report.recruiter))
            .where(StaffAlert.id.in_(ids))
        ).unique()
    }
    return [rows[alert_id] for alert_id in ids if alert_id in rows]


def release_claims(session: Session, alert_ids: Sequence[int], token: str) -> int:
    """Give back claimed alerts whose outcome was not recorded (held for the next batch, or left
    when a pass stopped at its first failure): they are due again at once, for any notifier."""
    return release(session, StaffAlert, alert_ids, token)


def _pending(session: Session, alert_id: int) -> Optional[StaffAlert]:
    alert = session.get(StaffAlert, alert_id)
    return alert if alert is not None and alert.status == "pending" else None


def mark_sent(session: Session, alert_id: int, now: dt.datetime) -> bool:
    """Record the delivery. False when the alert is no longer pending (nothing is changed)."""
    alert = _pending(session, alert_id)
    if alert is None:
        return False
    alert.status = "sent"
    alert.sent_at = now
    alert.lease_until = alert.claim_token = None
    return True


def mark_sent_many(session: Session, alert_ids: Sequence[int], now: dt.datetime) -> List[int]:
    """Record one delivery (a batched alert) for all these alerts; returns the ids that were
    still pending and are now sent (the others are left as they are)."""
    if not alert_ids:
        return []
    pending = (
        session.execute(select(StaffAlert).where(StaffAlert.id.in_(list(alert_ids)), StaffAlert.status == "pending"))
        .scalars()
        .all()
    )
    for alert in pending:
        alert.status = "sent"
        alert.sent_at = now
        alert.lease_until = alert.claim_token = None
    return sorted(int(alert.id) for alert in pending)


def mark_retry(
    session: Session, alert_id: int, reason: str, now: dt.datetime, retry_after: Optional[float] = None
) -> Optional[StaffAlert]:
    """Count a failed attempt: try again after the back-off, or give up (status failed) after
    MAX_ATTEMPTS. ``reason`` must be safe to store (no message text, no chat id). Returns the
    updated alert, or None when it is no longer pending."""
    alert = _pending(session, alert_id)
    if alert is None:
        return None
    alert.attempts = (alert.attempts or 0) + 1
    alert.last_error = reason[:ERROR_LIMIT]
    alert.lease_until = alert.claim_token = None
    if alert.attempts >= MAX_ATTEMPTS:
        alert.status = "failed"
    else:
        alert.next_attempt_at = next_attempt_time(now, alert.attempts, retry_after)
    return alert
