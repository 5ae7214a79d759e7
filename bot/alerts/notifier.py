"""The notifier: ``python -m bot.alerts.notifier``.

Every ALERT_POLL_SECONDS it expires stale alerts, reads the due ones (bot/alerts/outbox.py) and
sends each to STAFF_TELEGRAM_CHAT_ID (when staff alerts are configured); then it sends the due
reporter notices (bot/alerts/reporter_notices.py: "staff wrote to you, check your report") through
Telegram or WhatsApp (when either is configured). Short blips are retried on the spot
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
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode

from bot.alerts.outbox import due_alerts, expire_stale, mark_retry, mark_sent
from bot.alerts.reporter_notices import deliver_due_notices, notices_enabled
from bot.alerts.summary import AlertFacts, alert_text
from bot.channels.delivery import DeliveryFailed, send_with_retries
from bot.channels.telegram_errors import classify_telegram_error
from bot.reports.texts import ReportTexts, load_report_texts
from bot.settings import Settings, get_settings
from bot.storage.db import in_thread, transaction
from bot.storage.models import Report, utcnow

logger = logging.getLogger("bot.alerts.notifier")


# Alerts sent per pass; the rest wait for the next poll, so one pass stays short.
BATCH_SIZE = 20
# On SIGTERM the alert being sent may finish (so it is not sent twice); bot/serve.py waits 15 s.
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class NotifierConfig:
    chat_id: str
    console_base_url: str
    texts: ReportTexts
    # Attempts within one pass (on-the-spot retries), and the first on-the-spot back-off.
    max_attempts: int
    base_seconds: float
    database_url: Optional[str] = None
    batch_size: int = BATCH_SIZE

    @classmethod
    def from_settings(cls, settings: Settings) -> "NotifierConfig":
        return cls(
            chat_id=settings.staff_telegram_chat_id,
            console_base_url=settings.console_base_url,
            texts=load_report_texts(str(settings.content_dir)),
            max_attempts=settings.send_max_attempts,
            base_seconds=settings.send_retry_base_ms / 1000,
            database_url=settings.database_url,
        )


@dataclass(frozen=True)
class PendingAlert:
    alert_id: int
    text: str


@dataclass
class PassResult:
    expired: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _load_due(config: NotifierConfig, now: dt.datetime) -> Tuple[int, List[PendingAlert]]:
    """Expire what is too old, then build the text of each due alert (in one transaction)."""
    with transaction(config.database_url) as session:
        expired = expire_stale(session, now)
        pending: List[PendingAlert] = []
        for alert in due_alerts(session, now, config.batch_size):
            report = session.get(Report, alert.report_id)
            if report is None:  # cannot happen with the foreign key; skip rather than crash the pass
                continue
            facts = AlertFacts.from_report(report)
            pending.append(PendingAlert(alert.id, alert_text(facts, config.texts, config.console_base_url)))
        return expired, pending


def _record_sent(config: NotifierConfig, alert_id: int, now: dt.datetime) -> None:
    with transaction(config.database_url) as session:
        mark_sent(session, alert_id, now)


def _record_failure(
    config: NotifierConfig, alert_id: int, reason: str, now: dt.datetime, retry_after: Optional[float]
) -> str:
    """Count the failed attempt; returns the alert's status afterwards (pending or failed)."""
    with transaction(config.database_url) as session:
        alert = mark_retry(session, alert_id, reason, now, retry_after)
        return alert.status if alert is not None else "gone"


async def send_alert(bot: Bot, config: NotifierConfig, alert: PendingAlert) -> None:
    """One alert to the staff chat, with on-the-spot retries; raises DeliveryFailed."""

    async def attempt() -> None:
        await bot.send_message(
            chat_id=config.chat_id,
            text=alert.text,
            parse_mode=ParseMode.HTML,
            # The only link is our console; a preview card would just repeat it.
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    await send_with_retries(attempt, classify_telegram_error, config.max_attempts, config.base_seconds,
                            f"staff alert {alert.alert_id}")


async def deliver_due_alerts(
    bot: Bot,
    config: NotifierConfig,
    clock: Callable[[], dt.datetime] = utcnow,
    stop: Optional[asyncio.Event] = None,
) -> PassResult:
    """One pass: expire stale alerts, send the due ones, record each outcome.

    The pass ends at the first failure: the failed alert is backed off, and the others (most
    likely failing for the same reason: Telegram down, the bot removed from the staff group) wait
    for the next poll instead of all hitting the platform now. A failure that Telegram calls
    permanent (a bad request, forbidden) is still retried on the outbox's slow schedule, because
    its usual cause is a configuration an operator can fix; MAX_ATTEMPTS bounds it.
    """
    result = PassResult()
    result.expired, pending = await in_thread(_load_due, config, clock())
    if result.expired:
        logger.warning("staff alerts: %d pending alert(s) older than 7 days expired unsent", result.expired)
    for alert in pending:
        if stop is not None and stop.is_set():
            break
        try:
            await send_alert(bot, config, alert)
        except DeliveryFailed as failure:
            status = await in_thread(_record_failure, config, alert.alert_id, failure.reason, clock(),
                                        failure.retry_after)
            if status == "failed":
                result.failed += 1
                logger.error("staff alert %d: given up (%s); the report is in the console", alert.alert_id,
                             failure.reason)
            else:
                result.retrying += 1
                logger.warning("staff alert %d: not sent (%s); will retry", alert.alert_id, failure.reason)
            break
        await in_thread(_record_sent, config, alert.alert_id, clock())
        result.sent += 1
        logger.info("staff alert %d: sent", alert.alert_id)
    return result


async def one_pass(bot: Optional[Bot], config: Optional[NotifierConfig], settings: Settings,
                   stop: Optional[asyncio.Event] = None) -> None:
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
    bot = Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) if settings.telegram_enabled else None
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
        channels = [name for name, on in (("telegram", settings.telegram_enabled),
                                          ("whatsapp", settings.whatsapp_enabled)) if on]
        logger.info("reporter notices: on (%s), polling every %.1f s", ", ".join(channels), settings.alert_poll_seconds)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
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
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs carry the bot token
    if not (settings.staff_alerts_enabled or notices_enabled(settings)):
        logger.info("staff alerts are off: set TELEGRAM_BOT_TOKEN and STAFF_TELEGRAM_CHAT_ID to turn them on; "
                    "reporter notices are off: no chat platform (Telegram, WhatsApp) is configured")
        return 0
    asyncio.run(_main_async(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
