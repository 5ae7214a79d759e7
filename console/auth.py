"""Staff accounts, passwords, API tokens and the sign-in lock-out, as plain functions on a session."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import List, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.models import STAFF_ROLES, ApiToken, LoginThrottle, StaffUser, minutes_left

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "sct_"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message is safe to show to staff."""


def normalise_username(raw: str) -> str:
    return (raw or "").strip().lower()


def validate_new_account(username: str, password: str, role: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise AccountError("Username: 2–40 characters, lower-case letters, digits, '.', '_' or '-'.")
    if role not in STAFF_ROLES:
        raise AccountError(f"Role must be one of: {', '.join(STAFF_ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")


def find_user(session: Session, username: str) -> Optional[StaffUser]:
    return session.execute(
        select(StaffUser).where(StaffUser.username == normalise_username(username))
    ).scalars().first()


def list_users(session: Session) -> List[StaffUser]:
    return list(session.execute(select(StaffUser).order_by(StaffUser.username)).scalars())


def count_users(session: Session) -> int:
    return session.execute(select(func.count(StaffUser.id))).scalar_one()


def create_user(session: Session, username: str, password: str, role: str) -> StaffUser:
    username = normalise_username(username)
    validate_new_account(username, password, role)
    if find_user(session, username) is not None:
        raise AccountError(f"The username {username!r} is taken.")
    user = StaffUser(username=username, password_hash=_hasher.hash(password), role=role, active=True)
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, username: str, active: bool) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"No user {normalise_username(username)!r}.")
    user.active = active
    return user


def ensure_first_admin(session: Session, username: str, password: str) -> Optional[StaffUser]:
    """Create the first admin from STAFF_ADMIN_USER / STAFF_ADMIN_PASSWORD, only while there are no users."""
    if not username or not password or count_users(session) > 0:
        return None
    return create_user(session, username, password, "admin")


# --- sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    outcome: str  # "ok", "invalid" or "locked"
    user: Optional[StaffUser] = None
    locked_minutes: int = 0


def _throttle(session: Session, username: str) -> Optional[LoginThrottle]:
    return session.execute(select(LoginThrottle).where(LoginThrottle.username == username)).scalars().first()


def _throttle_row(session: Session, username: str) -> LoginThrottle:
    """The throttle row for ``username``, created when missing. Two first failures at the same
    moment both try to create it: the loser of the unique-key race reads the winner's row."""
    row = _throttle(session, username)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(username=username, failures=0)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        existing = _throttle(session, username)
        assert existing is not None
        return existing


def record_failure(row: LoginThrottle, now: dt.datetime, max_failures: int, lock_minutes: int) -> None:
    """Count a wrong password; failures older than the lock window no longer count."""
    window = dt.timedelta(minutes=lock_minutes)
    if row.last_failure_at is None or now - row.last_failure_at > window:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= max_failures:
        row.failures = 0
        row.locked_until = now + window


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime, max_failures: int, lock_minutes: int
) -> LoginResult:
    """Check a sign-in. While a username is locked its password is not even checked, so guessing
    cannot continue; unknown usernames are throttled the same way as real ones."""
    username = normalise_username(username)[:80]
    throttle = _throttle(session, username)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        return LoginResult("locked", locked_minutes=minutes_left(throttle.locked_until, now))
    user = find_user(session, username)
    if not _password_matches(user, password):
        throttle = throttle or _throttle_row(session, username)
        record_failure(throttle, now, max_failures, lock_minutes)
        if throttle.locked_until is not None and throttle.locked_until > now:
            return LoginResult("locked", locked_minutes=lock_minutes)
        return LoginResult("invalid")
    if throttle is not None:
        session.delete(throttle)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return LoginResult("ok", user=user)


def _password_matches(user: Optional[StaffUser], password: str) -> bool:
    try:
        if user is None:
            _hasher.verify(_DUMMY_HASH, password or "-")
            return False
        return _hasher.verify(user.password_hash, password or "") and bool(user.active)
    except (VerificationError, InvalidHashError):
        return False


# --- API tokens ------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, username: str, name: str, created_by: str) -> str:
    """A new token for ``username``; returns it in clear (the only time it exists in clear)."""
    user = find_user(session, username)
    if user is None or not user.active:
        raise AccountError(f"No active user {normalise_username(username)!r}.")
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise AccountError("Give the token a name of 1–80 characters (what it is for).")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), created_by=created_by))
    session.flush()
    return token


def list_tokens(session: Session) -> List[ApiToken]:
    return list(session.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars())


def revoke_token(session: Session, token_id: int, now: dt.datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccountError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def user_for_token(session: Session, token: str, now: dt.datetime) -> Optional[StaffUser]:
    """The active user a bearer token belongs to, or None for unknown, revoked or disabled."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).scalars().first()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    row.last_used_at = now
    return row.user
