"""The maintenance process: runs the retention policy at start and then on its interval, survives a
failed run, stops cleanly on SIGTERM, and logs only counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from bot.manage import migrate
from bot.privacy import maintenance
from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.models import AuditEntry, InboxMessage

ROOT = get_settings().project_root
SENDER = "telegram:987654321"


def test_a_failed_run_is_logged_by_class_and_the_loop_goes_on(monkeypatch, caplog) -> None:
    stop = threading.Event()
    calls = []

    def flaky(settings, now, dry_run=False):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError(f"could not delete {SENDER}")
        stop.set()

    monkeypatch.setattr(maintenance, "run_retention", flaky)
    monkeypatch.setattr(maintenance, "RETRY_AFTER_FAILURE", dt.timedelta(seconds=0.01))
    with caplog.at_level(logging.INFO, logger="bot.privacy.maintenance"):
        maintenance.serve(dataclasses.replace(get_settings(), retention_interval_hours=24), stop)
    assert len(calls) == 2  # retried after the failure, not after a whole interval
    assert "run failed (RuntimeError)" in caplog.text and SENDER not in caplog.text
    assert "retention: stopped" in caplog.text


def _environment(tmp_path, **extra: str) -> dict:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
        TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def test_the_process_runs_at_start_and_stops_cleanly_on_sigterm(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    with transaction(url) as session:
        session.add(
            InboxMessage(
                channel="telegram",
                external_id="1",
                sender_id=SENDER,
                status="done",
                received_at=dt.datetime(2001, 1, 1),
            )
        )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.privacy.maintenance"],
        cwd=ROOT,
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with transaction(url) as session:
                if session.execute(select(func.count(AuditEntry.id))).scalar_one():
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the first run did not happen")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "1 inbox row(s)" in err and "retention: stopped" in err
    assert SENDER not in err and "987654321" not in err
    with transaction(url) as session:
        assert session.execute(select(func.count(InboxMessage.id))).scalar_one() == 0


def test_the_process_refuses_limits_below_one(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.privacy.maintenance"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_environment(tmp_path, RETENTION_INTERVAL_HOURS="0"),
        timeout=60,
    )
    assert result.returncode == 2
    assert "RETENTION_INTERVAL_HOURS must be at least 1" in result.stderr
