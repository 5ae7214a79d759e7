"""Accounts, passwords, lock-out and API tokens as plain functions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import ApiToken, AuditEntry, SecurityCounter, StaffUser
from console import auth
from tests.console import support

NOW = dt.datetime(2026, 11, 28, 10, 0)  # the start of a 15-minute window
HERE, ELSEWHERE = "192.0.2.10", "198.51.100.20"
POLICY = auth.LockPolicy(max_failures=5, lock_minutes=15)


def _login(url: str, username: str, password: str, now: dt.datetime, address: str = HERE) -> auth.LoginResult:
    with transaction(url) as session:
        return auth.authenticate(session, username, password, address, now, POLICY)


@support.BOTH_DATABASES
def test_password_is_stored_as_argon2_hash(database_url: str) -> None:
    with transaction(database_url) as session:
        user = auth.find_user(session, support.ADMIN[0])
        assert user.password_hash.startswith("$argon2") and support.ADMIN[1] not in user.password_hash


@support.BOTH_DATABASES
def test_sign_in_with_right_and_wrong_password(database_url: str) -> None:
    assert _login(database_url, "  Rudi.Review ", support.REVIEWER[1], NOW).outcome == "ok"
    assert _login(database_url, support.ADMIN[0], support.ADMIN[1], NOW).outcome == "code"  # two-factor next
    assert _login(database_url, support.ADMIN[0], "wrong-password", NOW).outcome == "invalid"
    assert _login(database_url, "no-such-user", "whatever", NOW).outcome == "invalid"


@support.BOTH_DATABASES
def test_five_failures_lock_the_username_from_that_address_only(database_url: str) -> None:
    username, password = support.REVIEWER
    outcomes = [_login(database_url, username, "wrong", NOW + dt.timedelta(seconds=i)).outcome for i in range(5)]
    assert outcomes == ["invalid"] * 4 + ["locked"]
    # Even the right password is refused from the guessing address while locked ...
    assert _login(database_url, username, password, NOW + dt.timedelta(minutes=14)).outcome == "locked"
    # ... but the owner, elsewhere, signs in: the lock cannot be used to keep them out.
    assert _login(database_url, username, password, NOW + dt.timedelta(minutes=1), ELSEWHERE).outcome == "ok"
    # The window ends: the guessing address may try again.
    assert _login(database_url, username, password, NOW + dt.timedelta(minutes=16)).outcome == "ok"
    # Another user at the guessing address is not affected by the lock of this pair.
    assert _login(database_url, support.ADMIN[0], support.ADMIN[1], NOW + dt.timedelta(minutes=1)).outcome == "code"


@support.BOTH_DATABASES
def test_an_address_guessing_many_usernames_is_locked_for_all(database_url: str) -> None:
    limit = POLICY.address_limit  # 4 × 5: a shared office address has room for a few typos each
    outcomes = [_login(database_url, f"name{i % 10}", "wrong", NOW).outcome for i in range(limit)]
    assert outcomes == ["invalid"] * (limit - 1) + ["locked"]
    assert _login(database_url, *support.REVIEWER, NOW).outcome == "locked"
    assert _login(database_url, *support.REVIEWER, NOW, ELSEWHERE).outcome == "ok"


@support.BOTH_DATABASES
def test_old_failures_expire_and_success_clears_them(database_url: str) -> None:
    username, password = support.REVIEWER
    for minute in range(4):
        _login(database_url, username, "wrong", NOW + dt.timedelta(minutes=minute))
    # A later window: the earlier failures no longer count.
    assert _login(database_url, username, "wrong", NOW + dt.timedelta(minutes=40)).outcome == "invalid"
    assert _login(database_url, username, password, NOW + dt.timedelta(minutes=41)).outcome == "ok"
    for minute in range(4):
        assert (
            _login(database_url, username, "wrong", NOW + dt.timedelta(minutes=41, seconds=minute)).outcome == "invalid"
        )


@support.BOTH_DATABASES
def test_unknown_usernames_are_throttled_too(database_url: str) -> None:
    outcomes = [_login(database_url, "ghost", "x", NOW).outcome for _ in range(6)]
    assert outcomes[-2:] == ["locked", "locked"]


def test_counter_keys_hold_no_username_or_address(database_url: str) -> None:
    _login(database_url, support.REVIEWER[0], "wrong", NOW)
    with transaction(database_url) as session:
        keys = [row.key for row in session.execute(select(SecurityCounter)).scalars()]
    assert len(keys) == 2 and not any(support.REVIEWER[0] in key or HERE in key for key in keys)


@support.BOTH_DATABASES
def test_disabled_account_cannot_sign_in(database_url: str) -> None:
    with transaction(database_url) as session:
        auth.set_active(session, support.REVIEWER[0], False, actor=support.ADMIN[0])
    assert _login(database_url, *support.REVIEWER, NOW).outcome == "invalid"


@pytest.mark.parametrize(
    "username,password,role",
    [
        ("ok.name", "short", "reviewer"),
        ("Bad Name", "long-enough-password", "reviewer"),
        ("ok.name", "long-enough-password", "root"),
        (support.ADMIN[0], "long-enough-password", "admin"),
    ],
)
@support.BOTH_DATABASES
def test_invalid_new_accounts_are_refused(database_url: str, username: str, password: str, role: str) -> None:
    with pytest.raises(auth.AccountError):
        with transaction(database_url) as session:
            auth.create_user(session, username, password, role)


@support.BOTH_DATABASES
def test_first_admin_only_when_there_are_no_users(database_url: str, tmp_path) -> None:
    with transaction(database_url) as session:
        assert auth.ensure_first_admin(session, "boss", "boss-password-123") is None  # users exist already
    with transaction(database_url) as session:
        for user in session.execute(select(StaffUser)).scalars():
            session.delete(user)
    with transaction(database_url) as session:
        created = auth.ensure_first_admin(session, "boss", "boss-password-123")
        assert (created.username, created.role) == ("boss", "admin")


@support.BOTH_DATABASES
def test_tokens_are_stored_hashed_and_stop_working_when_revoked_or_disabled(database_url: str) -> None:
    with transaction(database_url) as session:
        token = auth.create_token(
            session, support.REVIEWER[0], "reporting script", created_by=support.ADMIN[0], now=NOW, days=90
        )
    with transaction(database_url) as session:
        stored = session.execute(select(ApiToken)).scalar_one()
        assert stored.token_hash == auth.hash_token(token) and token not in stored.token_hash
        assert auth.user_for_token(session, token, NOW).username == support.REVIEWER[0]
        assert auth.user_for_token(session, token + "x", NOW) is None
        auth.set_active(session, support.REVIEWER[0], False, actor=support.ADMIN[0])
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token, NOW) is None
        auth.set_active(session, support.REVIEWER[0], True, actor=support.ADMIN[0])
        auth.revoke_token(session, stored.id, NOW, actor=support.ADMIN[0])
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token, NOW) is None
        actions = [(e.actor, e.action) for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert actions == [
        (support.ADMIN[0], "token_created"),
        (support.ADMIN[0], "account_disabled"),
        (support.ADMIN[0], "account_enabled"),
        (support.ADMIN[0], "token_revoked"),
    ]


@support.BOTH_DATABASES
def test_tokens_expire_after_the_configured_days(database_url: str) -> None:
    with transaction(database_url) as session:
        token = auth.create_token(session, support.REVIEWER[0], "short-lived", created_by="cli", now=NOW, days=7)
        assert session.execute(select(ApiToken)).scalar_one().expires_at == NOW + dt.timedelta(days=7)
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token, NOW + dt.timedelta(days=6, hours=23), days=7) is not None
        assert auth.user_for_token(session, token, NOW + dt.timedelta(days=7), days=7) is None
        # A token from before expiry existed (expires_at empty) counts from its creation.
        session.execute(select(ApiToken)).scalar_one().expires_at = None
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token, NOW + dt.timedelta(days=6), days=7) is not None
        assert auth.user_for_token(session, token, NOW + dt.timedelta(days=8), days=7) is None
