"""Staff accounts, passwords, sign-in (password, lock-out, TOTP, recovery codes), server-side
sessions and API tokens, as plain functions on a database session.

Nothing here reads the request or the environment: the views and the CLI pass in the client
address, the time and the lock-out policy. Functions that count a failure (a wrong password, a
wrong code) *return* their problem instead of raising, so the caller's transaction commits the
count; raising would roll it back and let guessing go on uncounted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.kept_secrets import console_secret_key
from bot.sealing import derive_key, seal, unseal
from bot.settings import get_settings
from bot.storage import counters
from bot.storage.models import STAFF_ROLES, ApiToken, AuditEntry, RecoveryCode, StaffSession, StaffUser, minutes_left

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "sct_"
# A browser session ends this long after sign-in, however busy it is (absolute, not idle, limit).
SESSION_HOURS = 12
# last_seen_at is written at most this often: a page load must not always cost a write.
SEEN_EVERY = dt.timedelta(minutes=1)
# An address may fail this many times the per-(username, address) limit before it is locked for
# every username: one office behind one NAT address has several staff, a guesser many names.
ADDRESS_FACTOR = 4
TOTP_STEP_SECONDS = 30
TOTP_ISSUER = "Kerja Jepang Aman console"
RECOVERY_CODE_COUNT = 10
# Recovery codes and temporary passwords avoid letters that read alike (i/l/1, o/0).
_FRIENDLY = "abcdefghjkmnpqrstuvwxyz23456789"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
_hasher = PasswordHasher()
# Recovery codes carry ~50 random bits, so they need no memory-hard defaults against guessing:
# OWASP's minimum argon2id settings keep ten of them quick to make and to check.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
EPOCH = dt.datetime(1970, 1, 1)


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message is safe to show to staff.

    Messages (and the problems returned below) are in the page's language during a request, in
    English elsewhere (the CLI): Flask-Babel's gettext needs no request."""


# --- audit -----------------------------------------------------------------------------------


def audit(session: Session, actor: str, action: str, now: dt.datetime, **detail: object) -> None:
    """One audit_log row: who (a staff username or "cli") did what to which account or token.
    Never a password, code or token, even hashed."""
    session.add(AuditEntry(at=now, actor=actor[:80], action=action, detail=dict(detail)))


# --- accounts --------------------------------------------------------------------------------


def normalise_username(raw: str) -> str:
    return (raw or "").strip().lower()


def password_problem(password: str, username: str) -> Optional[str]:
    """Why a new password is not acceptable, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return gettext("The password needs at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
    if normalise_username(password) == normalise_username(username):
        return gettext("The password cannot be the username.")
    return None


def validate_new_account(username: str, password: str, role: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise AccountError(gettext("Username: 2–40 characters, lower-case letters, digits, '.', '_' or '-'."))
    if role not in STAFF_ROLES:
        raise AccountError(gettext("Role must be one of: %(roles)s.", roles=", ".join(STAFF_ROLES)))
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)


def find_user(session: Session, username: str) -> Optional[StaffUser]:
    return (
        session.execute(select(StaffUser).where(StaffUser.username == normalise_username(username))).scalars().first()
    )


def _user(session: Session, username: str) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise AccountError(gettext("No user %(name)s.", name=repr(normalise_username(username))))
    return user


def list_users(session: Session) -> List[StaffUser]:
    return list(session.execute(select(StaffUser).order_by(StaffUser.username)).scalars())


def count_users(session: Session) -> int:
    return session.execute(select(func.count(StaffUser.id))).scalar_one()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    actor: Optional[str] = None,
    now: Optional[dt.datetime] = None,
) -> StaffUser:
    """A new account; audited when ``actor`` (who created it) is given."""
    now = now or _now()
    username = normalise_username(username)
    validate_new_account(username, password, role)
    if find_user(session, username) is not None:
        raise AccountError(gettext("The username %(name)s is taken.", name=repr(username)))
    user = StaffUser(
        username=username, password_hash=_hasher.hash(password), role=role, active=True, password_changed_at=now
    )
    session.add(user)
    session.flush()
    if actor:
        audit(session, actor, "account_created", now, username=username, role=role)
    return user


def set_active(
    session: Session, username: str, active: bool, actor: str, now: Optional[dt.datetime] = None
) -> StaffUser:
    """Enable or disable an account; disabling also ends all of its sessions at once."""
    now = now or _now()
    user = _user(session, username)
    if bool(user.active) != active:
        user.active = active
        audit(session, actor, "account_enabled" if active else "account_disabled", now, username=user.username)
    if not active:
        revoke_sessions(session, user.id, now, "account_disabled")
    return user


def ensure_first_admin(session: Session, username: str, password: str) -> Optional[StaffUser]:
    """Create the first admin from STAFF_ADMIN_USER / STAFF_ADMIN_PASSWORD, only while there are no users."""
    if not username or not password or count_users(session) > 0:
        return None
    return create_user(session, username, password, "admin", actor="startup")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# --- lock-out --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockPolicy:
    """CONSOLE_MAX_LOGIN_FAILURES failures per (username, address) in one fixed window of
    CONSOLE_LOCK_MINUTES lock that pair until the window ends; ADDRESS_FACTOR times as many lock
    the address for every username. A username alone is never locked, so somebody guessing from
    elsewhere cannot keep the owner out."""

    max_failures: int
    lock_minutes: int

    @property
    def window_seconds(self) -> int:
        return max(1, self.lock_minutes) * 60

    @property
    def address_limit(self) -> int:
        return max(1, self.max_failures) * ADDRESS_FACTOR


def login_keys(username: str, address: str) -> Tuple[str, str]:
    """Counter keys for failures of this username from this address, and from this address at all."""
    return (
        counters.counter_key("console-login", normalise_username(username), address),
        counters.counter_key("console-login-address", address),
    )


def code_key(user_id: int) -> str:
    """Wrong second-factor codes for one account, from anywhere: only somebody who knows the
    password gets to enter codes, so this cap on guesses cannot be used by a stranger."""
    return counters.counter_key("console-code", user_id)


def _limits(policy: LockPolicy, username: str, address: str, user_id: Optional[int] = None) -> List[Tuple[str, int]]:
    pair, whole_address = login_keys(username, address)
    limits = [(pair, max(1, policy.max_failures)), (whole_address, policy.address_limit)]
    if user_id is not None:
        limits.append((code_key(user_id), policy.address_limit))
    return limits


def _is_locked(session: Session, limits: Sequence[Tuple[str, int]], now: dt.datetime, policy: LockPolicy) -> bool:
    """Count this try on every key first (atomically, in SQL), then decide: eight parallel
    guesses get counts 1 to 8, so only the first ``limit`` of them are even checked (a check
    before counting would let all eight through). A success gives its try back (_refund)."""
    counts = [(counters.hit(session, key, policy.window_seconds, now), limit) for key, limit in limits]
    return any(count > limit for count, limit in counts)


def _count_failure(session: Session, limits: Sequence[Tuple[str, int]], now: dt.datetime, policy: LockPolicy) -> bool:
    """The try was counted by _is_locked; True when this failure used up a limit."""
    return any(counters.current(session, key, policy.window_seconds, now) >= limit for key, limit in limits)


def _refund(session: Session, limits: Sequence[Tuple[str, int]], now: dt.datetime, policy: LockPolicy) -> None:
    """A try that succeeded does not count towards a lock-out (an office signing in all morning
    from one address must not lock itself out)."""
    for key, _ in limits:
        counters.hit(session, key, policy.window_seconds, now, amount=-1)


def lock_minutes_left(now: dt.datetime, policy: LockPolicy) -> int:
    return minutes_left(counters.window_end(now, policy.window_seconds), now)


# --- sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    outcome: str  # "ok", "code" (password right, second factor next), "invalid" or "locked"
    user: Optional[StaffUser] = None
    locked_minutes: int = 0


def authenticate(
    session: Session, username: str, password: str, address: str, now: dt.datetime, policy: LockPolicy
) -> LoginResult:
    """Check a username and password from ``address``. While the pair or the address is locked the
    password is not even checked, so guessing cannot continue; unknown usernames are counted and
    answered exactly like real ones."""
    username = normalise_username(username)[:80]
    limits = _limits(policy, username, address)
    if _is_locked(session, limits, now, policy):
        return LoginResult("locked", locked_minutes=lock_minutes_left(now, policy))
    user = find_user(session, username)
    if not _password_matches(user, password):
        if _count_failure(session, limits, now, policy):
            return LoginResult("locked", locked_minutes=lock_minutes_left(now, policy))
        return LoginResult("invalid")
    assert user is not None
    _refund(session, limits, now, policy)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    if user.totp_enabled_at is not None:
        return LoginResult("code", user=user)  # the failures are cleared once the code is right too
    _signed_in(session, user, address, now)
    return LoginResult("ok", user=user)


def _signed_in(session: Session, user: StaffUser, address: str, now: dt.datetime) -> None:
    # Only this pair's failures are forgotten: clearing the address's would let a guesser with one
    # account of their own reset their count by signing in now and then.
    counters.clear(session, [login_keys(user.username, address)[0]])
    user.last_login_at = now


def _password_matches(user: Optional[StaffUser], password: str) -> bool:
    try:
        if user is None:
            _hasher.verify(_DUMMY_HASH, password or "-")
            return False
        return _hasher.verify(user.password_hash, password or "") and bool(user.active)
    except (VerificationError, InvalidHashError):
        return False


def password_fingerprint(user: StaffUser) -> str:
    """Ties a half-finished sign-in to the password it was started with: a reset or change in
    between makes the second step fail. (A hash of the hash: reveals nothing usable.)"""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class CodeResult:
    outcome: str  # "ok", "invalid", "locked" or "expired" (start again with the password)
    user: Optional[StaffUser] = None
    locked_minutes: int = 0
    recovery_codes_left: Optional[int] = None  # set when a recovery code was used


def verify_second_factor(
    session: Session, user_id: int, fingerprint: str, code: str, address: str, now: dt.datetime, policy: LockPolicy
) -> CodeResult:
    """The second sign-in step: a current TOTP code (±1 step, each step once) or an unused
    recovery code. Wrong codes count on the same keys as wrong passwords, plus the account's own."""
    user = session.get(StaffUser, user_id)
    if (
        user is None
        or not user.active
        or user.totp_enabled_at is None
        or not hmac.compare_digest(password_fingerprint(user), fingerprint or "")
    ):
        return CodeResult("expired")
    limits = _limits(policy, user.username, address, user.id)
    if _is_locked(session, limits, now, policy):
        return CodeResult("locked", locked_minutes=lock_minutes_left(now, policy))
    left: Optional[int] = None
    if not accept_totp(session, user, code, now):
        if not accept_recovery_code(session, user, code, now):
            if _count_failure(session, limits, now, policy):
                return CodeResult("locked", locked_minutes=lock_minutes_left(now, policy))
            return CodeResult("invalid")
        left = recovery_codes_left(session, user.id)
        audit(session, user.username, "recovery_code_used", now, remaining=left)
    _refund(session, limits, now, policy)
    _signed_in(session, user, address, now)
    return CodeResult("ok", user=user, recovery_codes_left=left)


# --- TOTP ------------------------------------------------------------------------------------


def time_step(now: dt.datetime) -> int:
    return int((now - EPOCH).total_seconds()) // TOTP_STEP_SECONDS


def matching_step(secret: str, code: str, now: dt.datetime, last_step: Optional[int]) -> Optional[int]:
    """The time step (current ±1, for clock drift) whose code ``code`` is, or None. Steps at or
    before ``last_step`` never match, so a code seen over somebody's shoulder cannot be reused."""
    digits = re.sub(r"[\s-]", "", code or "")
    # ASCII digits only: \d also matches e.g. Arabic-Indic digits, which compare_digest refuses.
    if not secret or not re.fullmatch(r"[0-9]{6}", digits):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = time_step(now)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), digits):
            return step
    return None


def _totp_key() -> bytes:
    """TOTP secrets are sealed at rest with a key derived from the console's secret key: a copy
    of the database alone does not give anyone the second factor."""
    from flask import current_app, has_app_context

    secret = current_app.config["SECRET_KEY"] if has_app_context() else console_secret_key(get_settings())
    return derive_key("console totp", secret.encode("utf-8"))


def totp_secret_of(user: StaffUser) -> Optional[str]:
    return unseal(user.totp_secret, _totp_key()) if user.totp_secret else None


def accept_totp(session: Session, user: StaffUser, code: str, now: dt.datetime) -> bool:
    """Accept a code and record its step. The record is a compare-and-set in SQL, so two requests
    with the same code at the same moment cannot both get in."""
    secret = totp_secret_of(user)
    if secret is None:
        return False
    step = matching_step(secret, code, now, user.totp_last_step)
    if step is None:
        return False
    changed = session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id, or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        set_committed_value(user, "totp_last_step", step)
    return bool(changed)


def totp_setup_secret(session: Session, user: StaffUser) -> str:
    """The secret to enrol with: kept (unconfirmed) on the account, so reloading the page shows the
    same QR code as the one already scanned. Two-factor counts as on only once confirmed."""
    if user.totp_enabled_at is not None:
        raise AccountError(gettext("Two-factor sign-in is already on."))
    secret = totp_secret_of(user)
    if not secret:
        secret = pyotp.random_base32()
        user.totp_secret = seal(secret, _totp_key())
    return secret


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI: drawn on the server, shown by an <img> (the CSP allows
    data: images and no scripts)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#0f172a")


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def confirm_totp(session: Session, user_id: int, code: str, now: dt.datetime) -> List[str]:
    """Turn two-factor on once the user proves their app shows the right code; returns the new
    recovery codes in clear (the only time they exist in clear)."""
    user = session.get(StaffUser, user_id)
    secret = totp_secret_of(user) if user is not None else None
    if user is None or user.totp_enabled_at is not None or not secret:
        raise AccountError(gettext("Two-factor sign-in is already on, or the set-up expired: reload the page."))
    step = matching_step(secret, code, now, None)
    if step is None:
        raise AccountError(
            gettext(
                "That code is not right. Check the time on your phone, and enter the 6-digit code the app shows now."
            )
        )
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = replace_recovery_codes(session, user.id, now)
    audit(session, user.username, "totp_enabled", now)
    return codes


def disable_totp(
    session: Session,
    user_id: int,
    code: str,
    address: str,
    now: dt.datetime,
    policy: LockPolicy,
    keep_token: Optional[str] = None,
) -> Optional[str]:
    """A reviewer turns two-factor off with a current code; returns the problem, or None when done.
    Wrong codes are counted like wrong sign-in codes (a stolen session cannot guess its way in)."""
    user = session.get(StaffUser, user_id)
    if user is None or user.totp_enabled_at is None:
        return gettext("Two-factor sign-in is not on.")
    if user.role == "admin":
        return gettext("Admins must keep two-factor sign-in on (another admin can reset it).")
    limits = _limits(policy, user.username, address, user.id)
    if _is_locked(session, limits, now, policy):
        return gettext(
            "Too many wrong codes. Try again in %(minutes)s minutes.", minutes=lock_minutes_left(now, policy)
        )
    if not accept_totp(session, user, code, now):
        _count_failure(session, limits, now, policy)
        return gettext("That code is not right: enter the 6-digit code your app shows now.")
    _refund(session, limits, now, policy)
    _clear_totp(session, user)
    # Sessions signed in with the second factor are from before: only this one stays.
    revoke_sessions(session, user.id, now, "totp_disabled", keep_token=keep_token)
    audit(session, user.username, "totp_disabled", now)
    return None


def reset_totp(session: Session, username: str, actor: str, now: dt.datetime) -> StaffUser:
    """An admin (or the CLI) removes somebody's second factor, e.g. after a lost phone. Their
    sessions end; at the next sign-in an admin must enrol again."""
    user = _user(session, username)
    _clear_totp(session, user)
    revoke_sessions(session, user.id, now, "totp_reset")
    audit(session, actor, "totp_reset", now, username=user.username)
    return user


def _clear_totp(session: Session, user: StaffUser) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(
        delete(RecoveryCode).where(RecoveryCode.user_id == user.id).execution_options(synchronize_session=False)
    )


# --- recovery codes --------------------------------------------------------------------------


def _friendly(length: int) -> str:
    return "".join(secrets.choice(_FRIENDLY) for _ in range(length))


def new_recovery_code() -> str:
    return f"{_friendly(5)}-{_friendly(5)}"


def normalise_recovery_code(raw: str) -> str:
    return re.sub(r"[\s-]", "", (raw or "").lower())


def replace_recovery_codes(session: Session, user_id: int, now: dt.datetime) -> List[str]:
    session.execute(
        delete(RecoveryCode).where(RecoveryCode.user_id == user_id).execution_options(synchronize_session=False)
    )
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(
            RecoveryCode(user_id=user_id, code_hash=_code_hasher.hash(normalise_recovery_code(code)), created_at=now)
        )
    session.flush()
    return codes


def accept_recovery_code(session: Session, user: StaffUser, raw: str, now: dt.datetime) -> bool:
    """Use up one recovery code. Marking it used is a compare-and-set, so one code signs in once
    even when sent twice at the same moment."""
    code = normalise_recovery_code(raw)
    if len(code) != 10 or any(char not in _FRIENDLY for char in code):
        return False
    rows = list(
        session.execute(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).scalars()
    )
    for row in rows:
        try:
            _code_hasher.verify(row.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        return bool(
            session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        )
    return False


def recovery_codes_left(session: Session, user_id: int) -> int:
    return session.execute(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


# --- passwords -------------------------------------------------------------------------------


def change_password(
    session: Session,
    user_id: int,
    current: str,
    new: str,
    repeat: str,
    address: str,
    now: dt.datetime,
    policy: LockPolicy,
    keep_token: str,
) -> Optional[str]:
    """The signed-in user changes their password; returns the problem, or None when changed. Every
    other session of theirs ends (whoever else had one is out). Wrong current passwords count
    as failed sign-ins."""
    user = session.get(StaffUser, user_id)
    if user is None or not user.active:
        return gettext("No such account.")
    limits = _limits(policy, user.username, address)
    if _is_locked(session, limits, now, policy):
        return gettext(
            "Too many wrong passwords. Try again in %(minutes)s minutes.", minutes=lock_minutes_left(now, policy)
        )
    if not _password_matches(user, current):
        _count_failure(session, limits, now, policy)
        return gettext("Your current password is not right.")
    _refund(session, limits, now, policy)
    if new != repeat:
        return gettext("The two new passwords differ.")
    problem = password_problem(new, user.username)
    if problem:
        return problem
    if new == current:
        return gettext("Choose a password different from the current one.")
    user.password_hash = _hasher.hash(new)
    user.password_changed_at = now
    user.must_change_password = False
    revoke_sessions(session, user.id, now, "password_changed", keep_token=keep_token)
    revoke_user_tokens(session, user.id, now)
    audit(session, user.username, "password_changed", now)
    return None


def temporary_password() -> str:
    """Four groups of four easy-to-read characters (~80 random bits)."""
    return "-".join(_friendly(4) for _ in range(4))


def reset_password(session: Session, username: str, actor: str, now: dt.datetime) -> Tuple[StaffUser, str]:
    """An admin (or the CLI) gives somebody a temporary password; returns it in clear, once. The
    account's sessions end, and at the next sign-in it must choose its own password first."""
    user = _user(session, username)
    password = temporary_password()
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = now
    user.must_change_password = True
    revoke_sessions(session, user.id, now, "password_reset")
    # A reset usually means the account was lost: its API tokens go with its sessions.
    revoke_user_tokens(session, user.id, now)
    audit(session, actor, "password_reset", now, username=user.username)
    return user, password


# --- browser sessions ------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: StaffUser, now: dt.datetime) -> str:
    """A new server-side session; returns its token in clear for the cookie (only the hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=hash_token(token), user_id=user.id, created_at=now, last_seen_at=now))
    session.flush()
    return token


def session_is_valid(row: StaffSession, now: dt.datetime) -> bool:
    return row.revoked_at is None and bool(row.user.active) and now - row.created_at < dt.timedelta(hours=SESSION_HOURS)


def session_for_token(session: Session, token: str, now: dt.datetime) -> Optional[StaffSession]:
    """The live session a cookie's token names, or None (unknown, revoked, expired, user disabled)."""
    if not token:
        return None
    row = session.execute(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).scalars().first()
    if row is None or not session_is_valid(row, now):
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
    return row


def end_session(session: Session, token: str, now: dt.datetime, reason: str) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == hash_token(token), StaffSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )


def revoke_user_tokens(session: Session, user_id: int, now: dt.datetime) -> int:
    """Revoke every API token of a user; returns how many."""
    return (
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def revoke_sessions(
    session: Session, user_id: int, now: dt.datetime, reason: str, keep_token: Optional[str] = None
) -> int:
    """End every session of a user (but the one whose token is ``keep_token``); returns how many."""
    condition = [StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None)]
    if keep_token:
        condition.append(StaffSession.token_hash != hash_token(keep_token))
    return (
        session.execute(
            update(StaffSession)
            .where(*condition)
            .values(revoked_at=now, revoked_reason=reason)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def other_sessions(session: Session, user_id: int, keep_token: str, now: dt.datetime) -> int:
    """How many other live browser sessions the user has (shown on the account page)."""
    rows = session.execute(
        select(StaffSession).where(
            StaffSession.user_id == user_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.token_hash != hash_token(keep_token),
        )
    ).scalars()
    return sum(1 for row in rows if session_is_valid(row, now))


# --- API tokens ------------------------------------------------------------------------------


def create_token(
    session: Session,
    username: str,
    name: str,
    created_by: str,
    now: Optional[dt.datetime] = None,
    days: Optional[int] = None,
) -> str:
    """A new token for ``username`` that expires after ``days`` (CONSOLE_TOKEN_DAYS when not
    given); returns it in clear (the only time it exists in clear)."""
    now = now or _now()
    days = _token_days(days)
    user = find_user(session, username)
    if user is None or not user.active:
        raise AccountError(gettext("No active user %(name)s.", name=repr(normalise_username(username))))
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise AccountError(gettext("Give the token a name of 1–80 characters (what it is for)."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        created_by=created_by,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        created_by,
        "token_created",
        now,
        token_id=row.id,
        name=name,
        username=user.username,
        expires_at=row.expires_at.isoformat() + "Z",
    )
    return token


def _token_days(days: Optional[int]) -> int:
    if days is None:
        from bot.settings import get_settings

        days = get_settings().console_token_days
    return max(1, int(days))


def token_expiry(row: ApiToken, days: int) -> dt.datetime:
    """When a token stops working. Tokens made before expiry existed count from their creation."""
    return row.expires_at or row.created_at + dt.timedelta(days=days)


def token_state(row: ApiToken, now: dt.datetime, days: int) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if token_expiry(row, days) <= now else "active"


def list_tokens(session: Session) -> List[ApiToken]:
    return list(session.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars())


def revoke_token(session: Session, token_id: int, now: dt.datetime, actor: str = "cli") -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccountError(gettext("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now
        audit(session, actor, "token_revoked", now, token_id=token.id, name=token.name, username=token.user.username)
    return token


def user_for_token(session: Session, token: str, now: dt.datetime, days: Optional[int] = None) -> Optional[StaffUser]:
    """The active user a bearer token belongs to, or None for unknown, revoked, expired or disabled."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).scalars().first()
    if row is None or token_state(row, now, _token_days(days)) != "active" or not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= SEEN_EVERY:
        row.last_used_at = now
    return row.user
