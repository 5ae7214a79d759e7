"""A staff console for the fuzz tests: the real Flask app on a temporary, migrated SQLite database
seeded with a few reports and the test accounts of tests/console/support.py, plus API tokens.

Built once per test module (the fuzz tests only read, or write things no later case depends
on), with the environment set only while the module runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
from flask import Flask

from bot.manage import migrate
from bot.settings import get_settings
from bot.storage.db import transaction
from console import auth
from console.app import create_app
from tests.console import support


@dataclass
class Console:
    app: Flask
    database_url: str
    report_ids: List[int]  # the last one: contact known, no consent (hidden from reviewers)
    admin_token: str
    reviewer_token: str

    def bearer(self, token: str) -> Dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def _fast_hashing(patch: pytest.MonkeyPatch) -> None:
    """argon2 at its real cost takes ~0.2 s a hash: the fuzz cases would spend their budget
    hashing (the console tests do the same, tests/console/conftest.py)."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for name in ("_hasher", "_code_hasher"):
        if hasattr(auth, name):
            patch.setattr(auth, name, cheap)
    if hasattr(auth, "_DUMMY_HASH"):
        patch.setattr(auth, "_DUMMY_HASH", cheap.hash("dummy password"))


@contextlib.contextmanager
def running_console(folder: Path, database_url: Optional[str] = None) -> Iterator[Console]:
    """The console on SQLite in ``folder``, or on ``database_url`` (a throwaway PostgreSQL)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in support.environment(folder).items():
            patch.setenv(name, value)
        if database_url:
            patch.setenv("DATABASE_URL", database_url)
        patch.delenv("CONSOLE_SECRET_KEY", raising=False)
        _fast_hashing(patch)
        url = get_settings().database_url
        migrate(url)
        support.create_accounts(url)
        now = dt.datetime.utcnow()
        report_ids = [
            support.add_report(
                url,
                level="urgent",
                flags=("document_retention", "trafficking_signs"),
                channel="whatsapp",
                consent_to_contact=True,
                anonymous=False,
                reporter_contact="+6285700000001",
                created_at=now - dt.timedelta(days=3),
            ),
            support.add_report(url, level="high", flags=("upfront_fee",), channel="telegram"),
            support.add_report(
                url,
                level="low",
                flags=("informal_contact_only",),
                channel="rest",
                recruiter_name=support.XSS,
                location="Kab. Garut",
                what_happened="x" * 2000,
            ),
            # Not anonymous but no consent to contact: admins see the contact, reviewers do not.
            support.add_report(
                url,
                level="medium",
                flags=("excessive_fee",),
                channel="telegram",
                consent_to_contact=False,
                anonymous=False,
                reporter_contact="+6285700000002",
            ),
        ]
        with transaction(url) as session:
            admin_token = auth.create_token(session, support.ADMIN[0], "fuzz tests", support.ADMIN[0])
            reviewer_token = auth.create_token(session, support.REVIEWER[0], "fuzz tests", support.ADMIN[0])
        yield Console(create_app(get_settings()), url, report_ids, admin_token, reviewer_token)
