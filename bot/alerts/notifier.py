"""The notifier: ``python -m bot.alerts.notifier``.

Every ALERT_POLL_SECONDS it expires stale alerts, reads the due ones (bot/alerts/outbox.py) and
sends each to STAFF_TELEGRAM_CHAT_ID (when staff alerts are configured); then it sends the due
reporter notices (bot/alerts/reporter_notices.py: "staff wrote to you, check your report") through
Telegram or WhatsApp (when either is configured).

Reports are never dropped, but their alerts must not flood the staff chat (a script can file
hundreds of urgent reports). So a pass plans first (plan_pass): more alerts due than
ALERT_BATCH_THRESHOLD go out as ONE batched alert (counts per level, the first few cases,
urgent first); so do a source's alerts beyond the first SOURCE_FREE_ALERTS in an hour, and
everything once ALERT_MESSAGES_PER_MINUTE single alerts went out in a minute. At most one batched
alert goes out per BATCH_INTERVAL_SECONDS; what is folded in meanwhile stays pending for the next.
Each alert still ends sent, retried or failed as before, and the console lists every report. The
counts live in bot.storage.counters (atomic, shared by processes), keyed by hashes only.

Short blips are retried on the spot
(send_with_retries); anything longer is left to the outbox's back-off, so the loop never blocks on
one alert for long and a restart loses nothing. Logs name alert and staff-message ids and
outcomes, never what a report or a message says, and the httpx logger is kept quiet because its
request lines carry the bot token.

The database is synchronous SQLAlchemy, so every query runs in the default executor; the event
loop only waits on the chat platforms.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy.orm import Session
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode

from bot.alerts.outbox import (
    claim_due_with_reports,
    expire_stale,
    mark_retry,
    mark_sent,
    mark_sent_many,
    release_claims,
)
from bot.alerts.reporter_notices import deliver_due_notices, notices_enabled
from bot.alerts.summary import LEVEL_ORDER, AlertFacts, alert_text, batch_text
from bot.channels.delivery import DeliveryFailed, send_with_retries
from bot.clients.telegram_bot import classify_telegram_error, make_bot
from bot.health import beat
from bot.reports.texts import ReportTexts, load_report_texts
from bot.safe_logging import configure_logging
from bot.settings import Settings, get_settings
from bot.storage import counters
from bot.storage.counters import counter_key
from bot.storage.db import in_thread, transaction
from bot.storage.leases import new_claim_token
from bot.storage.models import Report, StaffAlert, utcnow

logger = logging.getLogger("bot.alerts.notifier")


# Alerts read per pass. Only a batched alert takes more than a handful; the rest of a bigger
# flood goes in the next batch.
MAX_PER_PASS = 500
# At most one batched alert per window of this many seconds: alerts folded in meanwhile stay
# pending and go together in the next one. Without it a source filing a report every poll would
# still cost the staff chat one message per poll.
BATCH_INTERVAL_SECONDS = 60
# Alerts about reports from one source (its conversation in its channel) that go out one by one
# per hour; later ones that hour are folded into batched alerts.
SOURCE_FREE_ALERTS = 2
SOURCE_WINDOW_SECONDS = 3600
MINUTE = 60
# On SIGTERM the alert being sent may finish (so it is not sent twice); bot/serve.py waits 15 s.
STOP_GRACE_SECONDS = 5.0


# Defaults read from the settings, so a config built by hand (tests, scripts) has the same limits.
def _threshold() -> int:
    return get_settings().alert_batch_threshold


def _per_minute() -> int:
    return get_settings().alert_messages_per_minute


@dataclass(frozen=True)
class NotifierConfig:
    chat_id: str
    console_base_url: str
    texts: ReportTexts
    # Attempts within one pass (on-the-spot retries), and the first on-the-spot back-off.
    max_attempts: int
    base_seconds: float
    database_url: Optional[str] = None
    # More alerts than this due in one pass go out as one batched alert.
    batch_threshold: int = field(default_factory=_threshold)
    # Alerts sent one by one per minute (all sources together); beyond it they are batched.
    messages_per_minute: int = field(default_factory=_per_minute)
    batch_interval_seconds: int = BATCH_INTERVAL_SECONDS
    max_per_pass: int = MAX_PER_PASS

    @classmethod
    def from_settings(cls, settings: Settings) -> "NotifierConfig":
        return cls(
            chat_id=settings.staff_telegram_chat_id,
            console_base_url=settings.console_base_url,
            texts=load_report_texts(str(settings.content_dir)),
            max_attempts=settings.send_max_attempts,
            base_seconds=settings.send_retry_base_ms / 1000,
            database_url=settings.database_url,
            batch_threshold=settings.alert_batch_threshold,
            messages_per_minute=settings.alert_messages_per_minute,
        )


@dataclass(frozen=True)
class PendingAlert:
    """A due alert as the planner sees it: what it may show (``facts``), where its report came
    from (``source_keys``: hashes only) and when the report was made."""

    alert_id: int
    facts: AlertFacts
    source_keys: Tuple[str, ...] = ()
    created_at: dt.datetime = counters.EPOCH


@dataclass(frozen=True)
class PassLimits:
    batch_threshold: int
    # Individual alert messages still allowed this minute (0 while the chat is being flooded).
    individual_budget: int
    source_free: int = SOURCE_FREE_ALERTS


@dataclass(frozen=True)
class PassPlan:
    individual: Tuple[PendingAlert, ...] = ()
    batched: Tuple[PendingAlert, ...] = ()


@dataclass
class PassResult:
    expired: int = 0
    sent: int = 0  # alerts marked sent, one by one or in a batch
    retrying: int = 0
    failed: int = 0
    batches: int = 0  # batched alert messages sent
    held: int = 0  # alerts folded into a batch that waits for the next batch window


# --- decisions (pure) ------------------------------------------------------------------------------


def messages_key(chat_id: str) -> str:
    return counter_key("staff-alert-messages", chat_id)


def batches_key(chat_id: str) -> str:
    return counter_key("staff-alert-batches", chat_id)


def source_keys(channel: Optional[str], conversation_id: Optional[str]) -> Tuple[str, ...]:
    """The counter keys of a report's source. The conversation id is the sender's address in
    its channel (Telegram chat, WhatsApp number, REST sender), so one key covers both; a report
    without one (filed by staff, say) has no source to limit. Hashed: the counters table must
    not hold anybody's chat id or number in clear."""
    if not conversation_id:
        return ()
    return (counter_key("staff-alert-source", channel or "", conversation_id),)


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def batch_order(alerts: Sequence[PendingAlert]) -> Tuple[PendingAlert, ...]:
    """Urgent first, then high; within a level the newest first (what staff should open first;
    the oldest have at least been in the console the longest)."""
    return tuple(sorted(alerts, key=lambda a: (level_rank(a.facts.risk_level), -_timestamp(a.created_at), -a.alert_id)))


def _timestamp(moment: dt.datetime) -> float:
    return (moment - counters.EPOCH).total_seconds()


def plan_pass(due: Sequence[PendingAlert], source_counts: Mapping[str, int], limits: PassLimits) -> PassPlan:
    """Which due alerts go one by one and which are folded into one batched alert.

    ``due`` comes urgent first, then longest waiting; ``source_counts`` are the alerts already
    sent this hour per source key. More due than the threshold: all batched (a script filing
    reports, a backlog after an outage). Otherwise each goes on its own unless its source already
    had SOURCE_FREE_ALERTS this hour (counting earlier ones of this pass), or the minute's budget
    of individual messages is spent.
    """
    if len(due) > limits.batch_threshold:
        return PassPlan(batched=batch_order(due))
    tally: Dict[str, int] = dict(source_counts)
    budget = max(0, limits.individual_budget)
    individual: List[PendingAlert] = []
    batched: List[PendingAlert] = []
    for alert in due:
        noisy = any(tally.get(key, 0) >= limits.source_free for key in alert.source_keys)
        for key in alert.source_keys:
            tally[key] = tally.get(key, 0) + 1
        if noisy or budget <= 0:
            batched.append(alert)
        else:
            individual.append(alert)
            budget -= 1
    return PassPlan(individual=tuple(individual), batched=batch_order(batched))


def granted_slots(count_after: int, asked: int, cap: int) -> int:
    """Of ``asked`` slots just added to a counter that now reads ``count_after``, how many fit
    under ``cap`` (another notifier may have taken some between our read and our hit)."""
    return max(0, min(asked, cap - (count_after - asked)))


# --- database edges --------------------------------------------------------------------------------


def reserve_individual(session: Session, chat_id: str, asked: int, cap: int, now: dt.datetime) -> int:
    """Take ``asked`` of this minute's individual-message slots in one atomic increment; returns
    how many were granted."""
    if asked <= 0:
        return 0
    count = counters.hit(session, messages_key(chat_id), MINUTE, now, amount=asked)
    return granted_slots(count, asked, cap)


def count_delivered(session: Session, alerts: Sequence[PendingAlert], now: dt.datetime) -> None:
    """Count delivered alerts per source (in the transaction that marks them sent)."""
    per_key: Dict[str, int] = {}
    for alert in alerts:
        for key in alert.source_keys:
            per_key[key] = per_key.get(key, 0) + 1
    for key, amount in sorted(per_key.items()):  # a fixed order: parallel transactions cannot deadlock
        counters.hit(session, key, SOURCE_WINDOW_SECONDS, now, amount=amount)


def _pending_alert(alert: StaffAlert, report: Report) -> PendingAlert:
    return PendingAlert(
        int(alert.id),
        AlertFacts.from_report(report),
        source_keys(report.channel, report.conversation_id),
        report.created_at or alert.created_at,
    )


def _load_due(config: NotifierConfig, now: dt.datetime, token: str) -> Tuple[int, PassPlan]:
    """Expire what is too old, claim the due alerts and plan the pass (in one transaction).

    The individual messages planned are reserved in the minute's counter here; the chat counts as
    flooded for the whole next minute too when a minute reached the cap, so alerts folded at the
    end of a busy minute go as one batch rather than one by one a few seconds later.
    """
    with transaction(config.database_url) as session:
        expired = expire_stale(session, now)
        due = [
            _pending_alert(alert, report)
            for alert, report in claim_due_with_reports(session, now, config.max_per_pass, token)
        ]
        if not due:
            return expired, PassPlan()
        keys = sorted({key for alert in due for key in alert.source_keys})
        source_counts = {key: counters.current(session, key, SOURCE_WINDOW_SECONDS, now) for key in keys}
        cap = config.messages_per_minute
        this_minute = counters.current(session, messages_key(config.chat_id), MINUTE, now)
        last_minute = counters.current(
            session, messages_key(config.chat_id), MINUTE, now - dt.timedelta(seconds=MINUTE)
        )
        budget = 0 if last_minute >= cap else cap - this_minute
        plan = plan_pass(due, source_counts, PassLimits(config.batch_threshold, budget))
        granted = reserve_individual(session, config.chat_id, len(plan.individual), cap, now)
        if granted < len(plan.individual):
            plan = PassPlan(plan.individual[:granted], batch_order(plan.batched + plan.individual[granted:]))
        return expired, plan


def _release(config: NotifierConfig, plan: PassPlan, token: str) -> int:
    with transaction(config.database_url) as session:
        return release_claims(session, [alert.alert_id for alert in plan.individual + plan.batched], token)


def _claim_batch_window(config: NotifierConfig, now: dt.datetime) -> bool:
    """True for the first batched alert of the current window (atomic: of two claims, one wins)."""
    with transaction(config.database_url) as session:
        return counters.hit(session, batches_key(config.chat_id), config.batch_interval_seconds, now) == 1


def _record_sent(config: NotifierConfig, alert: PendingAlert, now: dt.datetime) -> None:
    with transaction(config.database_url) as session:
        if mark_sent(session, alert.alert_id, now):
            count_delivered(session, [alert], now)


def _record_batch_sent(config: NotifierConfig, alerts: Sequence[PendingAlert], now: dt.datetime) -> int:
    """Mark every alert of a delivered batch sent and count them, in one transaction; returns how
    many were still pending."""
    with transaction(config.database_url) as session:
        marked = set(mark_sent_many(session, [alert.alert_id for alert in alerts], now))
        count_delivered(session, [alert for alert in alerts if alert.alert_id in marked], now)
        return len(marked)


def _record_failure(
    config: NotifierConfig, alert_id: int, reason: str, now: dt.datetime, retry_after: Optional[float]
) -> str:
    """Count the failed attempt; returns the alert's status afterwards (pending or failed)."""
    with transaction(config.database_url) as session:
        alert = mark_retry(session, alert_id, reason, now, retry_after)
        return alert.status if alert is not None else "gone"


def _record_batch_failure(
    config: NotifierConfig, alert_ids: Sequence[int], reason: str, now: dt.datetime, retry_after: Optional[float]
) -> List[str]:
    """Count one failed attempt for every alert of the batch (in one transaction)."""
    with transaction(config.database_url) as session:
        statuses = []
        for alert_id in alert_ids:
            alert = mark_retry(session, alert_id, reason, now, retry_after)
            statuses.append(alert.status if alert is not None else "gone")
        return statuses


# --- sending ---------------------------------------------------------------------------------------


async def send_text(bot: Bot, config: NotifierConfig, text: str, label: str) -> None:
    """One message to the staff chat, with on-the-spot retries; raises DeliveryFailed."""

    async def attempt() -> None:
        await bot.send_message(
            chat_id=config.chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            # The only links are our console; a preview card would just repeat them.
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    await send_with_retries(attempt, classify_telegram_error, config.max_attempts, config.base_seconds, label)


async def send_alert(bot: Bot, config: NotifierConfig, alert: PendingAlert) -> None:
    await send_text(
        bot, config, alert_text(alert.facts, config.texts, config.console_base_url), f"staff alert {alert.alert_id}"
    )


async def _send_batch(
    bot: Bot,
    config: NotifierConfig,
    alerts: Sequence[PendingAlert],
    clock: Callable[[], dt.datetime],
    result: PassResult,
) -> None:
    text = batch_text([alert.facts for alert in alerts], config.texts, config.console_base_url)
    urgent = sum(1 for alert in alerts if alert.facts.risk_level == "urgent")
    try:
        await send_text(bot, config, text, f"batched staff alert ({len(alerts)})")
    except DeliveryFailed as failure:
        statuses = await in_thread(
            _record_batch_failure,
            config,
            [alert.alert_id for alert in alerts],
            failure.reason,
            clock(),
            failure.retry_after,
        )
        failed = statuses.count("failed")
        result.failed += failed
        result.retrying += statuses.count("pending")
        logger.warning(
            "staff alerts: batch of %d not sent (%s); %d will be retried, %d given up (in the console)",
            len(alerts),
            failure.reason,
            statuses.count("pending"),
            failed,
        )
        return
    result.sent += await in_thread(_record_batch_sent, config, alerts, clock())
    result.batches += 1
    logger.info("staff alerts: batch of %d sent (%d urgent)", len(alerts), urgent)


async def deliver_due_alerts(
    bot: Bot,
    config: NotifierConfig,
    clock: Callable[[], dt.datetime] = utcnow,
    stop: Optional[asyncio.Event] = None,
) -> PassResult:
    """One pass: expire stale alerts, send the due ones (one by one, or batched: plan_pass),
    record each outcome.

    The pass ends at the first failure: the failed alert is backed off, and the others (most
    likely failing for the same reason: Telegram down, the bot removed from the staff group) wait
    for the next poll instead of all hitting the platform now. A failure that Telegram calls
    permanent (a bad request, forbidden) is still retried on the outbox's slow schedule, because
    its usual cause is a configuration an operator can fix; MAX_ATTEMPTS bounds it. A batched
    alert failing backs off every alert in it, as if each had failed alone.
    """
    token = new_claim_token()
    result = PassResult()
    result.expired, plan = await in_thread(_load_due, config, clock(), token)
    try:
        return await _deliver_planned(bot, config, plan, clock, stop, result)
    finally:
        # What this pass claimed and did not record (held for the next batch, left after a
        # failure or a stop) is due again at once, for this notifier or another.
        if plan.individual or plan.batched:
            try:
                await in_thread(_release, config, plan, token)
            except Exception as error:  # noqa: BLE001 - the lease runs out by itself
                logger.warning("staff alerts: claims not released (%s); they expire", type(error).__name__)


async def _deliver_planned(
    bot: Bot,
    config: NotifierConfig,
    plan: PassPlan,
    clock: Callable[[], dt.datetime],
    stop: Optional[asyncio.Event],
    result: PassResult,
) -> PassResult:
    if result.expired:
        logger.warning("staff alerts: %d pending alert(s) older than 7 days expired unsent", result.expired)
    for alert in plan.individual:
        if stop is not None and stop.is_set():
            return result
        try:
            await send_alert(bot, config, alert)
        except DeliveryFailed as failure:
            status = await in_thread(
                _record_failure, config, alert.alert_id, failure.reason, clock(), failure.retry_after
            )
            if status == "failed":
                result.failed += 1
                logger.error(
                    "staff alert %d: given up (%s); the report is in the console", alert.alert_id, failure.reason
                )
            else:
                result.retrying += 1
                logger.warning("staff alert %d: not sent (%s); will retry", alert.alert_id, failure.reason)
            return result
        await in_thread(_record_sent, config, alert, clock())
        result.sent += 1
        logger.info("staff alert %d: sent", alert.alert_id)
    if not plan.batched or (stop is not None and stop.is_set()):
        return result
    if not await in_thread(_claim_batch_window, config, clock()):
        # A batch went out this window already: these stay pending, untouched, for the next.
        result.held = len(plan.batched)
        logger.info("staff alerts: %d folded into the next batch", result.held)
        return result
    await _send_batch(bot, config, plan.batched, clock, result)
    return result


async def one_pass(
    bot: Optional[Bot], config: Optional[NotifierConfig], settings: Settings, stop: Optional[asyncio.Event] = None
) -> None:
    """Staff alerts (when ``config`` is given), then reporter notices (when a chat platform is
    configured). A failure of one half is logged and does not keep the other from running."""
    if config is not None and bot is not None:
        try:
            await deliver_due_alerts(bot, config, stop=stop)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep polling; the type is enough to diagnose
            logger.error("staff alerts: pass failed (%s); retrying at the next poll", type(error).__name__)
    if notices_enabled(settings) and not (stop is not None and stop.is_set()):
        try:
            await deliver_due_notices(settings, bot=bot, stop=stop)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - same: the rows stay due for the next poll
            logger.error("reporter notices: pass failed (%s); retrying at the next poll", type(error).__name__)


async def run(settings: Settings, stop: asyncio.Event) -> None:
    """Poll until ``stop`` is set. A failing pass (database down...) is logged and retried at the
    next poll: the notifier exiting would make bot/serve.py stop the whole assistant."""
    config = NotifierConfig.from_settings(settings) if settings.staff_alerts_enabled else None
    bot = make_bot(settings) if settings.telegram_enabled else None
    if bot is not None:
        try:
            # initialize() checks the token with getMe. Sending works without it, so an unreachable
            # Telegram at start-up is only logged; alerts and notices wait in their outboxes meanwhile.
            await bot.initialize()
        except Exception as error:  # noqa: BLE001 - classified; the message may quote the token
            logger.warning("notifier: Telegram not reachable at start (%s)", classify_telegram_error(error).reason)
    if config is not None:
        logger.info("staff alerts: on, polling every %.1f s", settings.alert_poll_seconds)
    else:
        logger.info("staff alerts: off (set STAFF_TELEGRAM_CHAT_ID to turn them on)")
    if notices_enabled(settings):
        channels = [
            name
            for name, on in (("telegram", settings.telegram_enabled), ("whatsapp", settings.whatsapp_enabled))
            if on
        ]
        logger.info("reporter notices: on (%s), polling every %.1f s", ", ".join(channels), settings.alert_poll_seconds)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            beat("alerts")  # the liveness probe's heartbeat (bot/health.py)
            this_pass = asyncio.ensure_future(one_pass(bot, config, settings, stop))
            await asyncio.wait([this_pass, stopped], return_when=asyncio.FIRST_COMPLETED)
            if not this_pass.done():
                # Stopping: let the message in flight finish so it is recorded, then cancel.
                await asyncio.wait([this_pass], timeout=STOP_GRACE_SECONDS)
                this_pass.cancel()
            try:
                await this_pass
            except asyncio.CancelledError:
                break
            except Exception as error:  # noqa: BLE001 - keep polling; the type is enough to diagnose
                logger.error("notifier: pass failed (%s); retrying at the next poll", type(error).__name__)
            await asyncio.wait([stopped], timeout=settings.alert_poll_seconds)
    finally:
        stopped.cancel()
        if bot is not None:
            await bot.shutdown()
        logger.info("staff alerts: stopped")


async def _main_async(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run(settings, stop)


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    if not (settings.staff_alerts_enabled or notices_enabled(settings)):
        logger.info(
            "staff alerts are off: set TELEGRAM_BOT_TOKEN and STAFF_TELEGRAM_CHAT_ID to turn them on; "
            "reporter notices are off: no chat platform (Telegram, WhatsApp) is configured"
        )
        return 0
    asyncio.run(_main_async(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
