"""Accounts, passwords, lock-out and API tokens as plain functions."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import ApiToken, StaffUser
from console import auth
from tests.console import support

NOW = dt.datetime(2026, 11, 28, 10, 0)


def _login(url: str, username: str, password: str, now: dt.datetime) -> auth.LoginResult:
    with transaction(url) as session:
        return auth.authenticate(session, username, password, now, max_failures=5, lock_minutes=15)


@support.BOTH_DATABASES
def test_password_is_stored_as_argon2_hash(database_url: str) -> None:
    with transaction(database_url) as session:
        user = auth.find_user(session, support.ADMIN[0])
        assert user.password_hash.startswith("$argon2") and support.ADMIN[1] not in user.password_hash


@support.BOTH_DATABASES
def test_sign_in_with_right_and_wrong_password(database_url: str) -> None:
    assert _login(database_url, "  Ana.Admin ", support.ADMIN[1], NOW).outcome == "ok"
    assert _login(database_url, support.ADMIN[0], "wrong-password", NOW).outcome == "invalid"
    assert _login(database_url, "no-such-user", "whatever", NOW).outcome == "invalid"


@support.BOTH_DATABASES
def test_five_failures_lock_the_username_for_fifteen_minutes(database_url: str) -> None:
    username, password = support.REVIEWER
    outcomes = [_login(database_url, username, "wrong", NOW + dt.timedelta(seconds=i)).outcome for i in range(5)]
    assert outcomes == ["invalid"] * 4 + ["locked"]
    # Even the right password is refused while locked.
    assert _login(database_url, username, password, NOW + dt.timedelta(minutes=14)).outcome == "locked"
    assert _login(database_url, username, password, NOW + dt.timedelta(minutes=16)).outcome == "ok"
    # Another user is not affected by the lock.
    assert _login(database_url, support.ADMIN[0], support.ADMIN[1], NOW + dt.timedelta(minutes=1)).outcome == "ok"


@support.BOTH_DATABASES
def test_old_failures_expire_and_success_clears_them(database_url: str) -> None:
    username, password = support.REVIEWER
    for minute in range(4):
        _login(database_url, username, "wrong", NOW + dt.timedelta(minutes=minute))
    # 30 minutes later the earlier failures no longer count.
    assert _login(database_url, username, "wrong", NOW + dt.timedelta(minutes=40)).outcome == "invalid"
    assert _login(database_url, username, password, NOW + dt.timedelta(minutes=41)).outcome == "ok"
    for minute in range(4):
        assert _login(database_url, username, "wrong", NOW + dt.timedelta(minutes=42 + minute)).outcome == "invalid"


@support.BOTH_DATABASES
def test_unknown_usernames_are_throttled_too(database_url: str) -> None:
    outcomes = [_login(database_url, "ghost", "x", NOW).outcome for _ in range(6)]
    assert outcomes[-2:] == ["locked", "locked"]


@support.BOTH_DATABASES
def test_disabled_account_cannot_sign_in(database_url: str) -> None:
    with transaction(database_url) as session:
        auth.set_active(session, support.REVIEWER[0], False)
    assert _login(database_url, *support.REVIEWER, NOW).outcome == "invalid"


@pytest.mark.parametrize("username,password,role", [
    ("ok.name", "short", "reviewer"), ("Bad Name", "long-enough-password", "reviewer"),
    ("ok.name", "long-enough-password", "root"), (support.ADMIN[0], "long-enough-password", "admin"),
])
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
        token = auth.create_token(session, support.REVIEWER[0], "reporting script", created_by=support.ADMIN[0])
    with transaction(database_url) as session:
        stored = session.execute(select(ApiToken)).scalar_one()
        assert stored.token_hash == auth.hash_token(token) and token not in stored.token_hash
        assert auth.user_for_token(session, token, NOW).username == support.REVIEWER[0]
        assert auth.user_for_token(session, token + "x", NOW) is None
        auth.set_active(session, support.REVIEWER[0], False)
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token, NOW) is None
        auth.set_active(session, support.REVIEWER[0], True)
        auth.revoke_token(session, stored.id, NOW)
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token, NOW) is None


def test_two_first_failures_at_once_share_one_throttle_row(database_url: str, monkeypatch) -> None:
    """The other sign-in created the row between our read and our insert: no unique-key crash."""
    now = dt.datetime(2026, 11, 28, 3, 0)
    _login(database_url, "nobody", "wrong", now)  # the row now exists
    real_throttle = auth._throttle
    calls = []

    def stale_first_read(session, username):
        calls.append(username)
        return None if len(calls) <= 2 else real_throttle(session, username)

    monkeypatch.setattr(auth, "_throttle", stale_first_read)
    assert _login(database_url, "nobody", "wrong again", now).outcome == "invalid"
    monkeypatch.setattr(auth, "_throttle", real_throttle)
    with transaction(database_url) as session:
        assert real_throttle(session, "nobody").failures == 2
