"""Helpers shared by the console tests and the screenshot script: a migrated temporary database,
seeded reports and accounts, a fake Rasa tracker store, and signing in through the real form."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sqlite3
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pyotp
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.reports.draft import ReportDraft
from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.models import Report, StaffUser, utcnow
from bot.storage.reports import save_report
from console import auth
from tests.databases import PIN_KEY

ADMIN = ("ana.admin", "admin-password-123")
REVIEWER = ("rudi.review", "review-password-123")
# Admins must have a second factor: the test admin's authenticator "app" is this secret.
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
XSS = "<script>alert(1)</script>"
INDONESIAN_CATALOGUE = get_settings().project_root / "console" / "translations" / "id" / "LC_MESSAGES" / "messages.po"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@functools.lru_cache(maxsize=1)
def indonesian_catalogue() -> Catalog:
    with INDONESIAN_CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="id")


def translated(english: str, language: str) -> str:
    """What a page in ``language`` shows for an English source text (which must be catalogued)."""
    if language == "en":
        return english
    message = indonesian_catalogue().get(english)
    assert message is not None and message.string, f"no Indonesian for {english!r}"
    return message.string if isinstance(message.string, str) else message.string[0]


def environment(folder: Path) -> Dict[str, str]:
    """Settings for one test: its own database, tracker store and VAR_DIR."""
    return {
        "VAR_DIR": str(folder / "var"),
        "DATABASE_URL": f"sqlite:///{folder / 'var' / 'app.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{folder / 'var' / 'tracker.db'}",
        "CONSOLE_BASE_URL": "http://localhost:8080",
        # The page tests read the English source texts; tests/console/test_i18n.py and the browser
        # test check the Indonesian default.
        "CONSOLE_LANGUAGE": "en",
    }


def create_accounts(database_url: str) -> None:
    """An admin with two-factor sign-in (ADMIN_TOTP_SECRET) and a reviewer without."""
    with transaction(database_url) as session:
        admin = auth.create_user(session, ADMIN[0], ADMIN[1], "admin")
        enable_totp(admin, ADMIN_TOTP_SECRET)
        auth.create_user(session, REVIEWER[0], REVIEWER[1], "reviewer")


def enable_totp(user: StaffUser, secret: str) -> None:
    """Two-factor on, as if enrolled (without recovery codes: tests that need them enrol for real)."""
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * auth.TOTP_STEP_SECONDS)


def next_code(username: str, database_url: Optional[str] = None) -> str:
    """A code the console accepts now: the earliest of the steps current ±1 not used yet (each
    step signs in once), so a test can sign the same account in up to three times in 30 s."""
    with transaction(database_url or get_settings().database_url) as session:
        user = auth.find_user(session, username)
        secret, last = auth.totp_secret_of(user), user.totp_last_step
    current = auth.time_step(utcnow())
    for step in (current - 1, current, current + 1):
        if last is None or step > last:
            return code_at(secret, step)
    raise AssertionError(f"{username} signed in more than three times within 30 s: no unused TOTP step left")


def add_report(
    database_url: str,
    *,
    level: str = "high",
    flags: Sequence[str] = ("upfront_fee",),
    created_at: Optional[dt.datetime] = None,
    channel: str = "telegram",
    conversation_id: Optional[str] = None,
    **draft_values: object,
) -> int:
    values: Dict[str, object] = dict(
        what_happened="Diminta DP 15 juta ke rekening pribadi sebelum ada kontrak.",
        recruiter_name="Pak Darto",
        recruiter_kind="individual",
        recruiter_phone="+6281234567890",
        location="Kab. Garut",
        consent_to_contact=False,
        anonymous=True,
        reporter_contact=None,
    )
    values.update(draft_values)
    with transaction(database_url) as session:
        report, _pin = save_report(
            session, ReportDraft(**values), level, list(flags), channel, conversation_id, "id", PIN_KEY
        )
        if created_at is not None:
            report.created_at = created_at
        session.flush()
        return report.id


def case_code(database_url: str, report_id: int) -> str:
    with transaction(database_url) as session:
        return session.get(Report, report_id).case_code


def write_tracker(path: Path, sender_id: str, turns: List[tuple]) -> None:
    """A tracker store with Rasa's SQL layout (table ``events``) holding (type_name, text) turns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
        "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
        "data TEXT)"
    )
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc).timestamp()
    for index, (type_name, text) in enumerate(turns):
        # ("action", name) rows are actions run (e.g. action_start_report), the rest messages.
        event = {"event": type_name, "name": text} if type_name == "action" else {"event": type_name, "text": text}
        data = json.dumps({**event, "timestamp": start + index})
        connection.execute(
            "INSERT INTO events (sender_id, type_name, timestamp, action_name, data) VALUES (?, ?, ?, ?, ?)",
            (sender_id, type_name, start + index, text if type_name == "action" else None, data),
        )
    connection.execute(
        "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
        (sender_id, "action", start + 99, json.dumps({"event": "action", "name": "action_listen"})),
    )
    connection.commit()
    connection.close()


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client, username: str, password: str, code: Optional[str] = None):
    """Through the real form; for an account with two-factor, the code step too (the next unused
    code unless ``code`` is given). Returns the last response."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/login/code"):
        return enter_code(client, code or next_code(username))
    return response


def enter_code(client, code: str):
    token = csrf_token(client.get("/login/code").get_data(as_text=True))
    return client.post("/login/code", data={"code": code, "csrf_token": token})


# --- demo data for the browser test and the screenshots ---------------------------------------

DEMO_CONVERSATION = "demo-whatsapp-1"


def seed_demo(database_url: str, tracker_path: Path, today: dt.datetime) -> int:
    """A few weeks of varied reports; returns the id of a high report with a transcript."""
    week = dt.timedelta(weeks=1)
    rows = [
        ("urgent", ["document_retention", "trafficking_signs"], "Kab. Cianjur", "Mr. Tanaka", "+819012345678", 0),
        ("high", ["upfront_fee", "unlicensed_agency"], "Kab. Garut", "Pak Darto", "+6281234567890", 1),
        ("high", ["wrong_visa", "upfront_fee"], "Kota Bandung", "LPK Maju Jaya", "+6281311112222", 2),
        ("medium", ["excessive_fee"], "Kab. Garut", "Pak Darto", "+6281234567890", 3),
        ("low", ["informal_contact_only"], "Kab. Indramayu", "Bu Sari", "+6285722223333", 5),
        ("high", ["language_test_waived", "fast_departure"], "Kab. Cirebon", "PT Sakura Karya", "+6282144445555", 6),
        ("medium", ["no_written_contract", "unrealistic_salary"], "Kota Bandung", "LPK Maju Jaya", "+6281311112222", 8),
        ("urgent", ["deposit_or_penalty", "document_retention"], "Kab. Garut", "Pak Darto", "+6281234567890", 9),
    ]
    target = 0
    for index, (level, flags, area, name, phone, weeks_ago) in enumerate(rows):
        conversation = DEMO_CONVERSATION if index == 1 else None
        report_id = add_report(
            database_url,
            level=level,
            flags=flags,
            location=area,
            recruiter_name=name,
            recruiter_phone=phone,
            channel=("whatsapp", "telegram")[index % 2],
            conversation_id=conversation,
            created_at=today - weeks_ago * week - dt.timedelta(hours=index),
            what_happened=f"Diminta bayar di muka oleh {name}; dijanjikan berangkat ke Jepang bulan depan.",
            consent_to_contact=index % 3 == 0,
            anonymous=index % 3 == 2,
            reporter_contact=None if index % 3 == 2 else f"+62857000000{index:02d}",
        )
        if index == 1:
            target = report_id
    write_tracker(
        tracker_path,
        DEMO_CONVERSATION,
        [
            ("user", "saya mau lapor calo"),
            ("action", "action_start_report"),
            ("bot", "Terima kasih. Apa yang terjadi? Ceritakan dengan kata-katamu sendiri."),
            ("user", "Pak Darto minta DP 15 juta ke rekening pribadi, katanya LPK resmi tapi tidak ada izinnya"),
            ("bot", "Siapa nama perekrutnya, dan apakah dia perorangan, LPK, atau perusahaan?"),
            ("user", "Pak Darto, perorangan. No WA 0812-3456-7890"),
        ],
    )
    return target


# Run a test module on SQLite and on PostgreSQL (skipped when none runs on localhost).
BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
