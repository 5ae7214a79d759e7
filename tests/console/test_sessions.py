"""Server-side sessions: the cookie names a StaffSession row; ending the row ends the cookie."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import StaffSession
from console import auth
from tests.console import support
from tests.console.support import csrf_token

COOKIE = "console_session"


def _cookie(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "not signed in"
    return cookie.value


def _replay(app: Flask, cookie: str):
    """A different client (an attacker) presenting a copy of somebody's cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def _sessions(url: str):
    with transaction(url) as session:
        return list(session.execute(select(StaffSession).order_by(StaffSession.id)).scalars())


def _logout(client) -> None:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_the_cookie_carries_a_random_session_token_and_only_its_hash_is_stored(
    app: Flask, reviewer, database_url: str
) -> None:
    data = app.session_interface.get_signing_serializer(app).loads(_cookie(reviewer))
    token = data["_user_id"]
    assert len(token) >= 43 and not token.isdigit()  # secrets.token_urlsafe(32), not the user id
    [row] = _sessions(database_url)
    assert row.token_hash == auth.hash_token(token) and token not in row.token_hash
    assert row.revoked_at is None and row.last_seen_at is not None


def test_a_copied_cookie_is_refused_after_logout(app: Flask, reviewer, database_url: str) -> None:
    stolen = _cookie(reviewer)
    assert _replay(app, stolen).get("/").status_code == 200  # the copy works while the session lives ...
    _logout(reviewer)
    thief = _replay(app, stolen)  # ... and not after logout, though the cookie is still validly signed
    response = thief.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert thief.get("/api/reports").status_code == 401
    [row] = _sessions(database_url)
    assert row.revoked_reason == "logout" and row.revoked_at is not None


def test_changing_the_password_ends_every_other_session(app: Flask, database_url: str) -> None:
    here, there = app.test_client(), app.test_client()
    for client in (here, there):
        assert support.sign_in(client, *support.REVIEWER).status_code == 302
    token = csrf_token(here.get("/account/password").get_data(as_text=True))
    response = here.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": support.REVIEWER[1],
            "new": "a brand new passphrase",
            "repeat": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302
    assert [row.revoked_reason for row in _sessions(database_url)] == [None, "password_changed"]


@pytest.mark.parametrize(
    "action,reason",
    [("disable", "account_disabled"), ("reset-password", "password_reset"), ("reset-2fa", "totp_reset")],
)
def test_admin_actions_on_an_account_end_all_its_sessions(
    app: Flask, admin, reviewer, database_url: str, action: str, reason: str
) -> None:
    assert reviewer.get("/").status_code == 200
    token = csrf_token(admin.get("/admin/users").get_data(as_text=True))
    assert admin.post(f"/admin/users/{support.REVIEWER[0]}/{action}", data={"csrf_token": token}).status_code in (
        200,
        302,
    )
    assert reviewer.get("/").status_code == 302
    with transaction(database_url) as session:
        user = auth.find_user(session, support.REVIEWER[0])
        reasons = [
            row.revoked_reason
            for row in session.execute(select(StaffSession).where(StaffSession.user_id == user.id)).scalars()
        ]
    assert reasons == [reason]


def test_a_session_ends_after_its_hours_however_busy(reviewer, database_url: str) -> None:
    with transaction(database_url) as session:
        row = session.execute(select(StaffSession)).scalar_one()
        row.created_at -= dt.timedelta(hours=auth.SESSION_HOURS, minutes=1)
        row.last_seen_at = None  # seen a moment ago would change nothing: the limit is absolute
    assert reviewer.get("/").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app: Flask, database_url: str, monkeypatch) -> None:
    import console.app

    clock = [dt.datetime.utcnow()]
    monkeypatch.setattr(console.app, "utcnow", lambda: clock[0])
    client = app.test_client()
    assert support.sign_in(client, *support.REVIEWER).status_code == 302
    [row] = _sessions(database_url)
    signed_in_at = row.last_seen_at
    clock[0] += dt.timedelta(seconds=50)
    client.get("/")
    assert _sessions(database_url)[0].last_seen_at == signed_in_at
    clock[0] += dt.timedelta(seconds=20)
    client.get("/")
    assert _sessions(database_url)[0].last_seen_at == clock[0]


def test_signing_out_other_sessions_from_the_account_page(app: Flask, database_url: str) -> None:
    here, there = app.test_client(), app.test_client()
    for client in (here, there):
        support.sign_in(client, *support.REVIEWER)
    page = here.get("/account").get_data(as_text=True)
    assert "Sign out my 1 other session(s)" in page
    here.post("/account/sessions/end-others", data={"csrf_token": csrf_token(page)})
    assert (here.get("/").status_code, there.get("/").status_code) == (200, 302)


def test_signing_in_again_ends_the_earlier_session(app: Flask, reviewer, database_url: str) -> None:
    earlier = _cookie(reviewer)
    assert support.sign_in(reviewer, *support.REVIEWER).status_code == 302
    assert reviewer.get("/").status_code == 200
    assert _replay(app, earlier).get("/").status_code == 302
    assert [row.revoked_reason for row in _sessions(database_url)] == ["replaced", None]
