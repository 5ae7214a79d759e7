"""Changing one's own password, an admin's reset to a temporary password (shown once, then the
account must choose its own), and the same resets from the CLI."""

from __future__ import annotations

import io
import re
from typing import List

import pytest
from flask import Flask
from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import AuditEntry
from console import auth
from console.cli import main
from tests.console import support
from tests.console.support import csrf_token, sign_in

NEW = "correct horse battery"


def _change(client, current: str, new: str, repeat: str):
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    return client.post(
        "/account/password", data={"csrf_token": token, "current": current, "new": new, "repeat": repeat}
    )


def _actions(url: str) -> List[tuple]:
    with transaction(url) as session:
        return [
            (e.actor, e.action, e.detail) for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]


@pytest.mark.parametrize(
    "current,new,repeat,problem",
    [
        ("wrong password!", NEW, NEW, "current password is not right"),
        (support.REVIEWER[1], NEW, NEW + "x", "differ"),
        (support.REVIEWER[1], "too short", "too short", "at least 12 characters"),
        (support.REVIEWER[1], " Rudi.Review ", " Rudi.Review ", "cannot be the username"),  # 13 characters
        (support.REVIEWER[1], support.REVIEWER[1], support.REVIEWER[1], "different from the current"),
    ],
)
def test_bad_password_changes_are_explained(reviewer, current: str, new: str, repeat: str, problem: str) -> None:
    response = _change(reviewer, current, new, repeat)
    assert response.status_code == 400 and problem in response.get_data(as_text=True)


def test_the_password_cannot_be_the_username() -> None:
    assert "cannot be the username" in auth.password_problem("Long.Username.Here", "long.username.here")
    with pytest.raises(auth.AccountError, match="username"):
        auth.validate_new_account("long.username.here", "long.username.here", "reviewer")


def test_changing_the_password(app: Flask, reviewer, database_url: str) -> None:
    response = _change(reviewer, support.REVIEWER[1], NEW, NEW)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Password changed" in reviewer.get("/account").get_data(as_text=True)
    assert sign_in(app.test_client(), support.REVIEWER[0], support.REVIEWER[1]).status_code == 401
    assert sign_in(app.test_client(), support.REVIEWER[0], NEW).status_code == 302
    assert (support.REVIEWER[0], "password_changed", {}) in _actions(database_url)


def test_wrong_current_passwords_count_as_failed_sign_ins(reviewer, frozen_now) -> None:
    for _ in range(5):
        _change(reviewer, "wrong password!", NEW, NEW)
    assert "Too many wrong passwords" in _change(reviewer, support.REVIEWER[1], NEW, NEW).get_data(as_text=True)


def test_admin_reset_shows_a_temporary_password_once_and_forces_a_change(app: Flask, admin, database_url: str) -> None:
    page = admin.get("/admin/users").get_data(as_text=True)
    response = admin.post(f"/admin/users/{support.REVIEWER[0]}/reset-password", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    temporary = re.search(r'id="temporary-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert len(temporary) >= 12
    # Only in that response: not in the cookie (no flash), not on the next page.
    assert temporary not in response.headers.get("Set-Cookie", "")
    assert temporary not in admin.get("/admin/users").get_data(as_text=True)
    assert (support.ADMIN[0], "password_reset", {"username": support.REVIEWER[0]}) in _actions(database_url)

    user = app.test_client()
    assert sign_in(user, support.REVIEWER[0], support.REVIEWER[1]).status_code == 401  # the old one is gone
    assert sign_in(user, support.REVIEWER[0], temporary).status_code == 302
    for path in ("/", "/dashboard", "/account", "/account/2fa"):
        response = user.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", path
    assert user.get("/api/reports").status_code == 403
    assert "An admin reset your password" in user.get("/account/password").get_data(as_text=True)
    assert _change(user, temporary, NEW, NEW).status_code == 302
    assert user.get("/").status_code == 200
    with transaction(database_url) as session:
        assert auth.find_user(session, support.REVIEWER[0]).must_change_password is False


def test_an_admin_cannot_reset_or_disable_their_own_account_from_the_list(admin, database_url: str) -> None:
    page = admin.get("/admin/users").get_data(as_text=True)
    for action in ("reset-password", "reset-2fa", "disable"):
        admin.post(f"/admin/users/{support.ADMIN[0]}/{action}", data={"csrf_token": csrf_token(page)})
        assert "your own account" in admin.get("/admin/users").get_data(as_text=True)
    with transaction(database_url) as session:
        user = auth.find_user(session, support.ADMIN[0])
        assert user.active and user.totp_enabled_at is not None and not user.must_change_password


# --- the CLI -----------------------------------------------------------------------------------


def _run(*argv: str) -> tuple:
    out = io.StringIO()
    return main(list(argv), stdin=io.StringIO(""), out=out), out.getvalue()


def test_cli_reset_password_and_reset_2fa(app: Flask, database_url: str, capsys) -> None:
    code, output = _run("users", "reset-password", support.REVIEWER[0])
    assert code == 0
    temporary = output.splitlines()[-1]
    client = app.test_client()
    assert sign_in(client, support.REVIEWER[0], temporary).headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/account/password"

    assert _run("users", "reset-2fa", support.ADMIN[0])[0] == 0
    admin = app.test_client()
    assert sign_in(admin, *support.ADMIN).headers["Location"] == "/"  # no code step any more ...
    assert admin.get("/").headers["Location"] == "/account/2fa"  # ... but enrolment first
    assert [(actor, action) for actor, action, _ in _actions(database_url)] == [
        ("cli", "password_reset"),
        ("cli", "totp_reset"),
    ]
    assert _run("users", "reset-password", "nobody")[0] == 1
    assert "No user" in capsys.readouterr().err


def test_a_password_reset_or_change_revokes_the_accounts_api_tokens(database_url: str) -> None:
    import datetime as dt

    from bot.storage.db import transaction
    from bot.storage.models import utcnow
    from console import auth

    with transaction(database_url) as session:
        token = auth.create_token(session, support.REVIEWER[0], "integration", created_by="test")
        auth.reset_password(session, support.REVIEWER[0], "admin1", utcnow())
    with transaction(database_url) as session:
        assert auth.user_for_token(session, token, utcnow() + dt.timedelta(seconds=1)) is None
