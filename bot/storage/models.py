"""Tables: reports, their audit events, recruiters named in them, staff messages, licensed registry."""

from __future__ import annotations

import datetime as dt
from typing import Any, List, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.reports.status import ReportStatus

# Typed as Any: SQLAlchemy 1.4 builds the class at run time (mypy sees no class to inherit from).
Base: Any = declarative_base()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def minutes_left(until: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes until a lock ends, rounded up (a lock never reads "0 minutes")."""
    return int((until - now).total_seconds() // 60) + 1


class Recruiter(Base):
    """A person or organisation named in one or more reports (reports about one recruiter link here)."""

    __tablename__ = "recruiters"

    id = Column(Integer, primary_key=True)
    display_name = Column(String(200), nullable=True)
    normalised_name = Column(String(200), nullable=True, index=True)
    kind = Column(String(30), nullable=True)
    phone_e164 = Column(String(20), nullable=True, index=True)
    area = Column(String(120), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    reports: List["Report"] = relationship("Report", back_populates="recruiter")


class Report(Base):
    __tablename__ = "reports"

    id = Column(Integer, primary_key=True)
    case_code = Column(String(9), nullable=False, unique=True)
    pin_hash = Column(String(200), nullable=False)
    status = Column(String(20), nullable=False, default=ReportStatus.NEW.value, index=True)
    escalated_to = Column(String(60), nullable=True)
    risk_level = Column(String(10), nullable=False, index=True)
    flags = Column(JSON, nullable=False, default=list)
    channel = Column(String(30), nullable=False, default="rest")
    conversation_id = Column(String(128), nullable=True)
    language = Column(String(2), nullable=False, default="id")
    what_happened = Column(Text, nullable=False)
    recruiter_name = Column(String(200), nullable=True)
    recruiter_kind = Column(String(30), nullable=True)
    recruiter_phone = Column(String(20), nullable=True)
    location = Column(String(120), nullable=True)
    money_text = Column(String(300), nullable=True)
    money_idr = Column(BigInteger, nullable=True)  # whole rupiah
    documents_held = Column(String(300), nullable=True)
    reporter_safe = Column(Boolean, nullable=True)
    reporter_location = Column(String(20), nullable=True)
    consent_to_contact = Column(Boolean, nullable=False, default=False)
    anonymous = Column(Boolean, nullable=False, default=True)
    reporter_contact = Column(String(200), nullable=True)
    # The question about being contacted exactly as the reporter saw it, and when they answered
    # (UU 27/2022: consent must be provable).
    consent_text = Column(Text, nullable=True)
    consent_recorded_at = Column(DateTime, nullable=True)
    # Set when the retention command removed the personal data of this closed report.
    anonymised_at = Column(DateTime, nullable=True)
    recruiter_id = Column(Integer, ForeignKey("recruiters.id"), nullable=True, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    recruiter: Optional[Recruiter] = relationship("Recruiter", back_populates="reports")
    events: List["ReportEvent"] = relationship("ReportEvent", back_populates="report", order_by="ReportEvent.id")
    messages: List["StaffMessage"] = relationship("StaffMessage", back_populates="report", order_by="StaffMessage.id")


class ReportEvent(Base):
    """Audit trail: every change to a report, with who and when."""

    __tablename__ = "report_events"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(40), nullable=False)
    actor = Column(String(80), nullable=False)
    detail = Column(JSON, nullable=False, default=dict)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    report: Report = relationship("Report", back_populates="events")


class StaffMessage(Base):
    """A message from staff that the reporter sees when they check their case."""

    __tablename__ = "staff_messages"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True)
    author = Column(String(80), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime, nullable=True)
    # The notice that tells the reporter, in their chat, that staff wrote (never the message itself:
    # the PIN protects it). none (REST chat, or nothing owed) | pending → sent | waiting (WhatsApp's
    # 24-hour window is closed; retried hourly) | failed. See bot/alerts/reporter_notices.py.
    notice_status = Column(String(20), nullable=False, default="none", server_default="none", index=True)
    notice_attempts = Column(Integer, nullable=False, default=0, server_default="0")
    notice_next_at = Column(DateTime, nullable=True)
    notice_sent_at = Column(DateTime, nullable=True)
    notice_error = Column(String(200), nullable=True)
    # Which worker handles this row, until when (bot/storage/leases.py: several replicas share it).
    lease_until = Column(DateTime, nullable=True)
    claim_token = Column(String(40), nullable=True)

    report: Report = relationship("Report", back_populates="messages")


class LicensedOrganisation(Base):
    """A row of the licensed registry (LPK, SO or P3MI), imported from the official CSV export."""

    __tablename__ = "licensed_organisations"
    __table_args__ = (UniqueConstraint("kind", "licence_number", name="uq_licensed_kind_number"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    normalised_name = Column(String(200), nullable=False, index=True)
    licence_number = Column(String(80), nullable=False)
    kind = Column(String(10), nullable=False)
    city = Column(String(120), nullable=True)
    valid_until = Column(Date, nullable=True)
    status = Column(String(20), nullable=False, default="active")
    imported_at = Column(DateTime, nullable=False, default=utcnow)


class InboxMessage(Base):
    """A message received from a chat platform, written before the webhook is acknowledged.

    The unique (channel, external_id) pair makes a redelivered webhook a no-op; rows still
    ``pending`` after a restart are answered then. The text is cleared once the message has been
    handled (the conversation itself lives in the tracker store); the row stays for de-duplication
    and for the 24-hour reply window of WhatsApp.
    """

    __tablename__ = "channel_inbox"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_inbox_channel_external_id"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(30), nullable=False)
    external_id = Column(String(200), nullable=False)
    sender_id = Column(String(128), nullable=False, index=True)
    text = Column(Text, nullable=True)
    # pending → done | failed (the turn failed) | undelivered (the reply could not be sent)
    status = Column(String(20), nullable=False, default="pending", index=True)
    error = Column(String(200), nullable=True)
    received_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    finished_at = Column(DateTime, nullable=True)
    # Which worker handles this row, until when (bot/storage/leases.py: several replicas share it).
    lease_until = Column(DateTime, nullable=True)
    claim_token = Column(String(40), nullable=True)


class StaffAlert(Base):
    """An alert owed to the staff chat about an urgent or high report (an outbox: written in the
    same transaction as the report, sent by the notifier, so no alert is lost to a crash)."""

    __tablename__ = "staff_alerts"

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, unique=True)
    # pending → sent | failed (gave up after many attempts; the console still shows the report)
    status = Column(String(20), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(String(200), nullable=True)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime, nullable=True)
    # Which worker handles this row, until when (bot/storage/leases.py: several replicas share it).
    lease_until = Column(DateTime, nullable=True)
    claim_token = Column(String(40), nullable=True)


# --- Staff console (console/) ---

STAFF_ROLES = ("reviewer", "admin")


class StaffUser(Base):
    """A console account. Passwords are stored only as argon2 hashes."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, unique=True)
    password_hash = Column(String(200), nullable=False)
    role = Column(String(20), nullable=False, default="reviewer")
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime, nullable=True)
    # TOTP (RFC 6238) second factor: the base32 secret (sealed with the console's key), when it was
    # confirmed, and the last time step accepted (a code cannot be used twice).
    totp_secret = Column(String(200), nullable=True)
    totp_enabled_at = Column(DateTime, nullable=True)
    totp_last_step = Column(BigInteger, nullable=True)
    password_changed_at = Column(DateTime, nullable=True)
    # Set by an admin's reset: the next sign-in must choose a new password first.
    must_change_password = Column(Boolean, nullable=False, default=False, server_default="0")

    tokens: List["ApiToken"] = relationship("ApiToken", back_populates="user", order_by="ApiToken.id")


class ApiToken(Base):
    """A bearer token for the console's JSON API. Only its SHA-256 is stored: tokens are long random
    strings, so a fast hash is enough and lets a request find its token by an indexed lookup."""

    __tablename__ = "staff_api_tokens"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(80), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_by = Column(String(80), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_used_at = Column(DateTime, nullable=True)
    expires_at = Column(DateTime, nullable=True)
    revoked_at = Column(DateTime, nullable=True)

    user: StaffUser = relationship("StaffUser", back_populates="tokens")


class StaffSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, and a
    session ends for good when revoked (logout, password change, account disabled), whatever the
    cookie says."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=True)
    revoked_at = Column(DateTime, nullable=True)
    revoked_reason = Column(String(40), nullable=True)

    user: StaffUser = relationship("StaffUser")


class RecoveryCode(Base):
    """A one-time code that replaces the authenticator app once (stored as an argon2 hash)."""

    __tablename__ = "staff_recovery_codes"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = Column(String(200), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    used_at = Column(DateTime, nullable=True)


class SecurityCounter(Base):
    """How often something happened to one key in one fixed time window (failed sign-ins, wrong
    PINs, reports filed, status checks). Incremented in SQL (``count = count + 1``), so parallel
    requests are all counted; old windows are purged by the retention command. Keys hold hashes,
    never a username, phone number or address in clear (bot/storage/counters.py)."""

    __tablename__ = "security_counters"
    __table_args__ = (UniqueConstraint("key", "window_start", name="uq_security_counter_window"),)

    id = Column(Integer, primary_key=True)
    key = Column(String(200), nullable=False)
    window_start = Column(DateTime, nullable=False, index=True)
    count = Column(Integer, nullable=False, default=0)


class AuditEntry(Base):
    """What staff and scheduled jobs did that concerns no single report (those go to
    report_events): accounts, sign-in factors, tokens, retention runs, data erasure."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(80), nullable=False)
    action = Column(String(60), nullable=False, index=True)
    detail = Column(JSON, nullable=False, default=dict)


# Reviewer the report is assigned to (a staff username), and the reason of the last decision
# (resolved / dismissed); both are also in the audit trail.
Report.assigned_to = Column(String(80), nullable=True, index=True)
Report.decision_reason = Column(Text, nullable=True)
