"""Reporter notices: telling a reporter, in their own chat, that staff wrote to them.

A staff message (``StaffMessage``) is shown only after the reporter gives their case code and PIN
(bot.storage.reports.check_status). The notice never carries the message itself: a phone can be
shared, or held by the recruiter, and the PIN is what protects the message. It only says that
there is news about the case, with a "check my report" button.

The message row is its own outbox (the ``notice_*`` columns, migration 0004): ``add_staff_message``
sets ``notice_status`` pending in the same transaction as the message when the report came from
a chat we can write to (``needs_reporter_notice``), and the notifier (bot/alerts/notifier.py)
sends the due notices:

* ``pending`` → ``sent`` once delivered; a failed attempt backs off (bot.alerts.outbox's delays)
  and gives up (``failed``) after MAX_ATTEMPTS, or when the message is MAX_AGE old unsent;
* ``waiting``: WhatsApp's 24-hour window is closed and no template is configured. Tried again
  hourly without counting an attempt: the window reopens when the reporter writes again;
* a channel that is not configured on this server leaves the notice as it is, looked at again
  in an hour (no attempt is burnt on our own configuration);
* ``none``: nothing is owed (a REST chat: the message is shown at the next status check; or the
  reporter already read the message at a status check before the notice went out).

One notice per report per pass: several due messages of one report share it. Logs name
StaffMessage ids and outcomes only: never message bodies, chat ids or phone numbers.

The DB functions take an open session; callers own the transaction (bot.storage.db.transaction).
Times are naive UTC, like every timestamp in bot/storage/models.py. The channel modules (Rasa,
Sanic) are imported only when a notice is sent, so bot/storage/reports.py can import this module.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, List, Optional, Sequence, Tuple, TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.alerts.outbox import CLAIM_LEASE, next_attempt_time
from bot.channels.delivery import DeliveryFailed
from bot.replies import BotMessage, Button
from bot.reports.texts import ReportTexts, load_report_texts
from bot.safe_logging import error_summary
from bot.settings import Settings
from bot.storage.db import in_thread, transaction
from bot.storage.leases import CLAIM_ROUNDS, is_free, new_claim_token, release
from bot.storage.models import Report, StaffMessage, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from telegram import Bot

logger = logging.getLogger("bot.alerts.reporter_notices")

T = TypeVar("T")

NONE = "none"
PENDING = "pending"
SENT = "sent"
WAITING = "waiting"
FAILED = "failed"
NOTICE_STATUSES = (NONE, PENDING, SENT, WAITING, FAILED)
OPEN_STATUSES = (PENDING, WAITING)

# Chats we can write to first. A REST chat has no way to reach the reporter unasked.
PUSH_CHANNELS = frozenset({"telegram", "whatsapp"})
CHECK_STATUS_PAYLOAD = "/check_report_status"
LANGUAGES = ("id", "en")

# With outbox back-off (10 s doubling to 30 min), 20 attempts span about six hours.
MAX_ATTEMPTS = 20
# An undelivered notice older than this is no longer useful: the reporter may have moved on.
MAX_AGE = dt.timedelta(days=14)
# Closed WhatsApp window, or a channel not configured here: look again after this long.
RECHECK_DELAY = dt.timedelta(hours=1)
# Messages read per pass (several of one report share one notice).
BATCH_SIZE = 20
ERROR_LIMIT = 200  # length of staff_messages.notice_error

EXPIRED = "expired"
WINDOW_CLOSED = "whatsapp 24-hour window closed"
BAD_RECIPIENT = "not a valid recipient"


def needs_reporter_notice(channel: Optional[str], conversation_id: Optional[str]) -> bool:
    """Whether a staff message to this report's reporter is also announced in their chat."""
    return channel in PUSH_CHANNELS and bool((conversation_id or "").strip())


def initial_notice(
    channel: Optional[str], conversation_id: Optional[str], now: dt.datetime
) -> Tuple[str, Optional[dt.datetime]]:
    """(notice_status, notice_next_at) for a new staff message."""
    if needs_reporter_notice(channel, conversation_id):
        return PENDING, now
    return NONE, None


def notice_message(texts: ReportTexts, case_code: str, language: str) -> BotMessage:
    """The notice: news exists, and how to read it. Never the staff message itself."""
    language = language if language in LANGUAGES else "id"
    return BotMessage(
        text=texts.text("reporter_notice", language, case_code=case_code),
        buttons=(Button(texts.text("button_check_status", language), CHECK_STATUS_PAYLOAD),),
    )


# --- the outbox (DB functions) -----------------------------------------------------------------


def expire_stale_notices(session: Session, now: dt.datetime, max_age: dt.timedelta = MAX_AGE) -> List[int]:
    """Give up on open notices of messages older than ``max_age``. Returns their ids."""
    rows = (
        session.execute(
            select(StaffMessage).where(
                StaffMessage.notice_status.in_(OPEN_STATUSES), StaffMessage.created_at < now - max_age
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.notice_status = FAILED
        row.notice_error = EXPIRED
    return [row.id for row in rows]


def due_notices(session: Session, now: dt.datetime, limit: int = BATCH_SIZE) -> List[StaffMessage]:
    """Open notices whose time has come, the longest-waiting first."""
    query = (
        select(StaffMessage)
        .where(
            StaffMessage.notice_status.in_(OPEN_STATUSES),
            or_(StaffMessage.notice_next_at.is_(None), StaffMessage.notice_next_at <= now),
            is_free(StaffMessage.lease_until, now),
        )
        .order_by(StaffMessage.notice_next_at, StaffMessage.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim_due_notices(
    session: Session, now: dt.datetime, token: str, limit: int = BATCH_SIZE, lease: dt.timedelta = CLAIM_LEASE
) -> List[int]:
    """Claim, report by report, every open notice of up to ``limit`` reports that have a due one
    (several notifiers may run); returns the message ids claimed. One notice covers all of a
    report's open messages, so a report is claimed whole or not at all: on PostgreSQL its row is
    locked (``SKIP LOCKED``: another notifier takes other reports), and a report of which another
    notifier already holds a message is left to it. Recording an outcome ends the claim."""
    due_reports = (
        select(StaffMessage.report_id)
        .where(
            StaffMessage.notice_status.in_(OPEN_STATUSES),
            or_(StaffMessage.notice_next_at.is_(None), StaffMessage.notice_next_at <= now),
            is_free(StaffMessage.lease_until, now),
        )
        .group_by(StaffMessage.report_id)
        .order_by(func.min(StaffMessage.id))
    )
    claimed: List[int] = []
    done: set = set()  # reports looked at (claimed, or left to another notifier)
    won = 0
    # Rounds, as in bot/storage/leases.claim: on SQLite (no row locks to skip) a round may find
    # its reports taken by another notifier and look again.
    for _ in range(CLAIM_ROUNDS):
        wanted = limit - won
        report_ids = [
            report_id
            for report_id in session.execute(due_reports.limit(wanted + len(done))).scalars()
            if report_id not in done
        ][: max(0, wanted)]
        if wanted <= 0 or not report_ids:
            break
        locked = set(
            session.execute(
                select(Report.id).where(Report.id.in_(report_ids)).with_for_update(skip_locked=True)
            ).scalars()
        )
        lost = False
        for report_id in report_ids:
            done.add(report_id)
            if report_id not in locked:
                lost = True
                continue
            session.execute(
                update(StaffMessage)
                .where(
                    StaffMessage.report_id == report_id,
                    StaffMessage.notice_status.in_(OPEN_STATUSES),
                    or_(is_free(StaffMessage.lease_until, now), StaffMessage.claim_token == token),
                )
                .values(lease_until=now + lease, claim_token=token)
                .execution_options(synchronize_session=False)
            )
            rows = (
                session.execute(
                    select(StaffMessage)
                    .where(StaffMessage.report_id == report_id, StaffMessage.notice_status.in_(OPEN_STATUSES))
                    .execution_options(populate_existing=True)
                )
                .scalars()
                .all()
            )
            if held_elsewhere(rows, token, now):
                release(session, StaffMessage, [row.id for row in rows], token)
                lost = True
                continue
            claimed += [row.id for row in rows if row.claim_token == token]
            won += 1
        if not lost:
            break
    return claimed


def held_elsewhere(rows: Sequence[StaffMessage], token: str, now: dt.datetime) -> bool:
    """Whether another notifier holds one of a report's open notices right now: it sends that
    report's notice, which covers every open message (one notice per report, not two)."""
    return any(
        row.claim_token not in (None, token) and row.lease_until is not None and row.lease_until >= now for row in rows
    )


def open_notices_of_report(session: Session, report_id: int) -> List[StaffMessage]:
    """Every open notice of one report, due or not: one notice covers them all."""
    query = (
        select(StaffMessage)
        .where(StaffMessage.report_id == report_id, StaffMessage.notice_status.in_(OPEN_STATUSES))
        .order_by(StaffMessage.id)
    )
    return list(session.execute(query).scalars())


def _open(session: Session, message_ids: Sequence[int]) -> List[StaffMessage]:
    """The rows still open, for recording an outcome: which also ends any claim on them."""
    rows = [session.get(StaffMessage, message_id) for message_id in message_ids]
    rows = [row for row in rows if row is not None and row.notice_status in OPEN_STATUSES]
    for row in rows:
        row.lease_until = row.claim_token = None
    return rows


def mark_notice_sent(session: Session, message_ids: Sequence[int], now: dt.datetime) -> List[int]:
    """Record the delivery; returns the ids changed (those still open)."""
    rows = _open(session, message_ids)
    for row in rows:
        row.notice_status = SENT
        row.notice_sent_at = now
        row.notice_error = None
    return [row.id for row in rows]


def mark_notice_waiting(
    session: Session, message_ids: Sequence[int], now: dt.datetime, reason: str = WINDOW_CLOSED
) -> List[int]:
    """Nothing sent, nothing wrong: look again in an hour (no attempt is counted)."""
    rows = _open(session, message_ids)
    for row in rows:
        row.notice_status = WAITING
        row.notice_next_at = now + RECHECK_DELAY
        row.notice_error = reason[:ERROR_LIMIT]
    return [row.id for row in rows]


def postpone_notice(session: Session, message_ids: Sequence[int], now: dt.datetime) -> List[int]:
    """The channel is not configured on this server: keep the status, look again in an hour."""
    rows = _open(session, message_ids)
    for row in rows:
        row.notice_next_at = now + RECHECK_DELAY
    return [row.id for row in rows]


def mark_notice_failed(session: Session, message_ids: Sequence[int], reason: str) -> List[int]:
    """Give up at once (trying again cannot help). ``reason`` must be safe to store."""
    rows = _open(session, message_ids)
    for row in rows:
        row.notice_status = FAILED
        row.notice_error = reason[:ERROR_LIMIT]
    return [row.id for row in rows]


def mark_notice_retry(
    session: Session, message_ids: Sequence[int], reason: str, now: dt.datetime, retry_after: Optional[float] = None
) -> str:
    """Count a failed attempt: back off, or give up after MAX_ATTEMPTS. ``reason`` must be safe to
    store (no text, no chat id). Returns the resulting status ("gone" when none is open)."""
    rows = _open(session, message_ids)
    for row in rows:
        row.notice_attempts = (row.notice_attempts or 0) + 1
        row.notice_error = reason[:ERROR_LIMIT]
        if row.notice_attempts >= MAX_ATTEMPTS:
            row.notice_status = FAILED
        else:
            row.notice_status = PENDING
            row.notice_next_at = next_attempt_time(now, row.notice_attempts, retry_after)
    if not rows:
        return "gone"
    return PENDING if any(row.notice_status == PENDING for row in rows) else FAILED


def mark_already_read(session: Session, message_ids: Sequence[int]) -> List[int]:
    """The reporter read these at a status check before the notice went out: nothing is owed."""
    rows = _open(session, message_ids)
    for row in rows:
        row.notice_status = NONE
        row.notice_next_at = None
    return [row.id for row in rows]


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingNotice:
    """One notice owed to one report's reporter, covering ``message_ids``."""

    message_ids: Tuple[int, ...]
    channel: str
    conversation_id: str
    message: BotMessage

    @property
    def label(self) -> str:
        return ",".join(str(i) for i in self.message_ids)


@dataclass
class NoticePassResult:
    expired: int = 0
    sent: int = 0
    waiting: int = 0
    postponed: int = 0
    retrying: int = 0
    failed: int = 0
    already_read: int = 0


def _load_due(
    database_url: str, texts: ReportTexts, now: dt.datetime, limit: int, token: str
) -> Tuple[List[int], int, List[PendingNotice]]:
    """Expire the stale, drop the already read, claim the due ones and group them per report
    (one transaction)."""
    with transaction(database_url) as session:
        expired = expire_stale_notices(session, now)
        report_ids: "OrderedDict[int, None]" = OrderedDict()
        claimed = claim_due_notices(session, now, token, limit)
        for row in session.execute(
            select(StaffMessage)
            .where(StaffMessage.id.in_(claimed))
            .order_by(StaffMessage.notice_next_at, StaffMessage.id)
        ).scalars():
            report_ids.setdefault(row.report_id, None)
        already_read = 0
        pending: List[PendingNotice] = []
        for report_id in report_ids:
            report = session.get(Report, report_id)
            rows = open_notices_of_report(session, report_id)
            if held_elsewhere(rows, token, now):
                release(session, StaffMessage, [row.id for row in rows], token)
                continue
            read = [row.id for row in rows if row.delivered_at is not None]
            already_read += len(mark_already_read(session, read))
            unread = tuple(row.id for row in rows if row.delivered_at is None)
            if report is None or not unread:
                continue
            pending.append(
                PendingNotice(
                    unread,
                    report.channel,
                    report.conversation_id or "",
                    notice_message(texts, report.case_code, report.language),
                )
            )
        return expired, already_read, pending


def _release_notices(session: Session, message_ids: Sequence[int], token: str) -> int:
    return release(session, StaffMessage, message_ids, token)


def _record(database_url: str, function: Callable[..., T], *args: Any) -> T:
    with transaction(database_url) as session:
        return function(session, *args)


def channel_enabled(settings: Settings, channel: str) -> bool:
    if channel == "telegram":
        return settings.telegram_enabled
    if channel == "whatsapp":
        return settings.whatsapp_enabled
    return False


def notices_enabled(settings: Settings) -> bool:
    """Whether this server can send any notice at all (the notifier runs them only then)."""
    return settings.telegram_enabled or settings.whatsapp_enabled


async def _send(notice: PendingNotice, settings: Settings, bot_of: Callable[[], Awaitable["Bot"]]) -> str:
    """Send one notice; returns "sent", "sent_template" or "needs_template". Raises
    DeliveryFailed (counted, backed off) or ValueError (a recipient id we cannot write to)."""
    if notice.channel == "telegram":
        from bot.channels.telegram import TelegramOutput

        await TelegramOutput(await bot_of(), settings).deliver(notice.conversation_id, notice.message)
        return "sent"
    from bot.channels.whatsapp import send_outside_conversation

    return await send_outside_conversation(notice.conversation_id, [notice.message])


async def deliver_due_notices(
    settings: Settings,
    bot: Optional["Bot"] = None,
    clock: Callable[[], dt.datetime] = utcnow,
    stop: Optional[asyncio.Event] = None,
    batch_size: int = BATCH_SIZE,
) -> NoticePassResult:
    """One pass: expire stale notices, send the due ones, record each outcome.

    ``bot`` is the notifier's Telegram bot; without one, a bot is made for this pass when a
    Telegram notice is due (and shut down at the end). After a delivery failure on a channel, the
    other notices on that channel wait for the next pass (the platform is most likely down), and
    the failed one is backed off, so a blocked chat holds up the others for one pass at most.
    """
    result = NoticePassResult()
    texts = load_report_texts(str(settings.content_dir))
    token = new_claim_token()
    expired, result.already_read, pending = await in_thread(
        _load_due, settings.database_url, texts, clock(), batch_size, token
    )
    result.expired = len(expired)
    if expired:
        logger.warning(
            "reporter notices: staff message(s) %s unsent after %d days; given up",
            ",".join(map(str, expired)),
            MAX_AGE.days,
        )
    own_bot: List["Bot"] = []

    async def bot_of() -> "Bot":
        if bot is not None:
            return bot
        if not own_bot:
            from bot.clients.telegram_bot import classify_telegram_error, make_bot

            own_bot.append(make_bot(settings))
            try:
                # Opens the HTTP client (so shutdown() closes it) and checks the token with getMe;
                # sending works without that check, so a failure here is only logged.
                await own_bot[0].initialize()
            except Exception as error:  # noqa: BLE001 - classified; the message may quote the token
                logger.warning("reporter notices: Telegram not reachable (%s)", classify_telegram_error(error).reason)
        return own_bot[0]

    failed_channels: set = set()
    try:
        for notice in pending:
            if stop is not None and stop.is_set():
                break
            if notice.channel in failed_channels:
                continue
            await _deliver_one(notice, settings, bot_of, clock, result, failed_channels)
    finally:
        # Notices claimed and not sent (their channel failed earlier in the pass, or a stop) are
        # due again at once, for any notifier.
        left = [message_id for notice in pending for message_id in notice.message_ids]
        if left:
            try:
                await in_thread(_record, settings.database_url, _release_notices, left, token)
            except Exception as error:  # noqa: BLE001 - the lease runs out by itself
                logger.warning("reporter notices: claims not released (%s); they expire", type(error).__name__)
        for made in own_bot:
            try:
                await made.shutdown()
            except Exception as error:  # noqa: BLE001 - closing a client must not fail the pass
                logger.warning("reporter notices: could not close the Telegram client (%s)", type(error).__name__)
    return result


async def _deliver_one(
    notice: PendingNotice,
    settings: Settings,
    bot_of: Callable[[], Awaitable["Bot"]],
    clock: Callable[[], dt.datetime],
    result: NoticePassResult,
    failed_channels: set,
) -> None:
    url = settings.database_url
    what = f"reporter notice for staff message(s) {notice.label}"
    if notice.channel not in PUSH_CHANNELS:
        await in_thread(_record, url, mark_notice_failed, notice.message_ids, "unsupported channel")
        result.failed += 1
        logger.error("%s: not sent (no way to reach a %s chat)", what, notice.channel[:30])
        return
    if not channel_enabled(settings, notice.channel):
        await in_thread(_record, url, postpone_notice, notice.message_ids, clock())
        result.postponed += 1
        logger.warning("%s: %s is not configured here; looking again in an hour", what, notice.channel)
        return
    try:
        outcome = await _send(notice, settings, bot_of)
    except DeliveryFailed as failure:
        failed_channels.add(notice.channel)
        status = await in_thread(
            _record,
            url,
            mark_notice_retry,
            notice.message_ids,
            f"{notice.channel}: {failure.reason}",
            clock(),
            failure.retry_after,
        )
        if status == FAILED:
            result.failed += 1
            logger.error("%s: given up on %s (%s)", what, notice.channel, failure.reason)
        else:
            result.retrying += 1
            logger.warning("%s: not sent on %s (%s); will retry", what, notice.channel, failure.reason)
        return
    except ValueError as error:
        # A conversation id the platform cannot be written to: the same every time.
        await in_thread(_record, url, mark_notice_failed, notice.message_ids, f"{notice.channel}: {BAD_RECIPIENT}")
        result.failed += 1
        logger.error("%s: not sent on %s (%s)", what, notice.channel, error_summary(error))
        return
    if outcome == "needs_template":
        await in_thread(_record, url, mark_notice_waiting, notice.message_ids, clock())
        result.waiting += 1
        logger.info("%s: waiting for the reporter to write (WhatsApp 24-hour window)", what)
        return
    await in_thread(_record, url, mark_notice_sent, notice.message_ids, clock())
    result.sent += 1
    logger.info("%s: sent on %s%s", what, notice.channel, " (template)" if outcome == "sent_template" else "")
