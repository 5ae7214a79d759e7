"""TOTP two-factor sign-in: enrolment with a QR code, the code step, replay, recovery codes,
admins required to enrol, reviewers free to turn it on and off, and the audit log."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import List

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import AuditEntry, RecoveryCode, utcnow
from console import auth
from tests.console import support
from tests.console.support import code_at, csrf_token, enter_code, sign_in

NOW = dt.datetime(2026, 11, 28, 10, 0, 10)


def _actions(url: str) -> List[tuple]:
    with transaction(url) as session:
        return [
            (entry.actor, entry.action)
            for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]


def _enrol(client) -> tuple:
    """Enrol the signed-in user as a person would: read the key off the page, type the code."""
    page = client.get("/account/2fa").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/account/2fa", data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    return secret, codes


# --- pure parts -------------------------------------------------------------------------------


def test_codes_match_the_current_step_and_one_either_side_each_only_after_the_last() -> None:
    secret = pyotp.random_base32()
    step = auth.time_step(NOW)
    for offset in (-1, 0, 1):
        assert auth.matching_step(secret, code_at(secret, step + offset), NOW, None) == step + offset
    for offset in (-2, 2):
        assert auth.matching_step(secret, code_at(secret, step + offset), NOW, None) is None
    assert auth.matching_step(secret, code_at(secret, step), NOW, last_step=step) is None  # replay
    assert auth.matching_step(secret, code_at(secret, step - 1), NOW, last_step=step) is None  # older still
    spaced = code_at(secret, step)[:3] + " " + code_at(secret, step)[3:]
    assert auth.matching_step(secret, spaced, NOW, None) == step
    for junk in ("", "12345", "abcdef", "1234567", "١٢٣٤٥٦"):
        assert auth.matching_step(secret, junk, NOW, None) is None


# --- enrolment --------------------------------------------------------------------------------


def test_reviewer_enrols_with_a_qr_code_and_gets_ten_single_use_recovery_codes(reviewer, database_url: str) -> None:
    page = reviewer.get("/account/2fa").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and "<script" not in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    # The QR code holds the otpauth URI with that secret; a reload shows the same one.
    shown = html.unescape(re.search(r'img class="qr" src="(data:[^"]+)"', page).group(1))
    assert shown == auth.qr_data_uri(auth.provisioning_uri(secret, support.REVIEWER[0]))
    assert f"secret={secret}" in auth.provisioning_uri(secret, support.REVIEWER[0])
    assert secret in reviewer.get("/account/2fa").get_data(as_text=True).replace(" ", "")
    wrong = reviewer.post("/account/2fa", data={"csrf_token": csrf_token(page), "code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    response = reviewer.post("/account/2fa", data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not any(code in response.headers.get("Set-Cookie", "") for code in codes)
    with transaction(database_url) as session:
        user = auth.find_user(session, support.REVIEWER[0])
        assert user.totp_enabled_at is not None and auth.totp_secret_of(user) == secret
        assert secret not in user.totp_secret  # sealed at rest: a copy of the database is not the second factor
        hashes = [row.code_hash for row in session.execute(select(RecoveryCode)).scalars()]
    assert len(hashes) == 10 and all(h.startswith("$argon2") for h in hashes)
    assert not any(code.replace("-", "") in "".join(hashes) for code in codes)
    assert (support.REVIEWER[0], "totp_enabled") in _actions(database_url)
    assert "on since" in reviewer.get("/account").get_data(as_text=True)


def test_an_admin_without_a_second_factor_can_only_enrol(app: Flask, database_url: str) -> None:
    with transaction(database_url) as session:
        auth.create_user(session, "baru.admin", "new-admin-password", "admin")
    client = app.test_client()
    response = sign_in(client, "baru.admin", "new-admin-password")  # the password alone gets them in ...
    assert response.status_code == 302
    for path in ("/", "/reports/1", "/admin/users", "/account", "/account/password"):  # ... to one page only
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/2fa", path
    assert client.get("/api/reports").status_code == 403
    assert "Admins must sign in with a code" in client.get("/account/2fa").get_data(as_text=True)
    _enrol(client)
    assert client.get("/admin/users").status_code == 200


# --- the code step ----------------------------------------------------------------------------


def test_sign_in_is_two_steps_and_the_first_does_not_sign_in(app: Flask, database_url: str) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/dashboard", data={"username": support.ADMIN[0], "password": support.ADMIN[1], "csrf_token": token}
    )
    assert response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # the password alone is not a sign-in
    assert client.get("/api/reports").status_code == 401
    wrong = enter_code(client, "123456")
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    response = enter_code(client, support.next_code(support.ADMIN[0]))
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/").status_code == 200


@support.BOTH_DATABASES
def test_a_code_signs_in_once(app: Flask) -> None:
    code = support.next_code(support.ADMIN[0])
    assert sign_in(app.test_client(), *support.ADMIN, code=code).status_code == 302
    replay = sign_in(app.test_client(), *support.ADMIN, code=code)
    assert replay.status_code == 401 and "not right" in replay.get_data(as_text=True)


def test_the_code_step_expires_after_five_minutes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import console.web

    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": support.ADMIN[0], "password": support.ADMIN[1], "csrf_token": token})
    page = client.get("/login/code").get_data(as_text=True)
    later = utcnow() + dt.timedelta(minutes=5, seconds=5)
    monkeypatch.setattr(console.web, "utcnow", lambda: later)
    response = client.post(
        "/login/code", data={"code": support.next_code(support.ADMIN[0]), "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "took too long" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_wrong_codes_count_towards_the_lock_out(app: Flask, frozen_now) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": support.ADMIN[0], "password": support.ADMIN[1], "csrf_token": token})
    replies = [enter_code(client, f"00000{number}") for number in range(5)]
    assert [reply.status_code for reply in replies] == [401] * 5
    assert "Too many failed sign-ins" in replies[-1].get_data(as_text=True)
    # Locked: not even the right code gets in now (from this address).
    locked = enter_code(client, support.next_code(support.ADMIN[0]))
    assert locked.status_code == 401 and "Too many failed sign-ins" in locked.get_data(as_text=True)


def test_a_password_reset_between_the_steps_voids_the_first(app: Flask, database_url: str) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": support.ADMIN[0], "password": support.ADMIN[1], "csrf_token": token})
    with transaction(database_url) as session:
        auth.reset_password(session, support.ADMIN[0], "cli", utcnow())
    response = enter_code(client, support.next_code(support.ADMIN[0]))
    assert response.status_code == 302 and response.headers["Location"] == "/login"


# --- recovery codes ---------------------------------------------------------------------------


@support.BOTH_DATABASES
def test_a_recovery_code_signs_in_once_and_is_audited(app: Flask, reviewer, database_url: str) -> None:
    _, codes = _enrol(reviewer)
    first = app.test_client()
    response = sign_in(first, *support.REVIEWER, code=codes[3].upper().replace("-", " "))  # typed loosely
    assert response.status_code == 302
    assert "recovery code; 9 left" in first.get("/").get_data(as_text=True)
    again = sign_in(app.test_client(), *support.REVIEWER, code=codes[3])
    assert again.status_code == 401
    assert sign_in(app.test_client(), *support.REVIEWER, code=codes[4]).status_code == 302
    assert _actions(database_url).count((support.REVIEWER[0], "recovery_code_used")) == 2


# --- turning it off and resetting it ---------------------------------------------------------------


def test_a_reviewer_turns_it_off_with_a_current_code_only(app: Flask, reviewer, database_url: str) -> None:
    secret, _ = _enrol(reviewer)
    page = reviewer.get("/account").get_data(as_text=True)
    reviewer.post("/account/2fa/disable", data={"csrf_token": csrf_token(page), "code": "000000"})
    assert "not right" in reviewer.get("/account").get_data(as_text=True)
    with transaction(database_url) as session:
        assert auth.find_user(session, support.REVIEWER[0]).totp_enabled_at is not None
    # The code used to enrol is spent; the next step's code turns it off.
    code = code_at(secret, auth.time_step(utcnow()) + 1)
    reviewer.post("/account/2fa/disable", data={"csrf_token": csrf_token(page), "code": code})
    assert "Two-factor sign-in is off" in reviewer.get("/account").get_data(as_text=True)
    with transaction(database_url) as session:
        user = auth.find_user(session, support.REVIEWER[0])
        assert user.totp_secret is None and user.totp_enabled_at is None
        assert session.execute(select(RecoveryCode)).first() is None
    assert sign_in(app.test_client(), *support.REVIEWER).headers["Location"] == "/"  # password alone again
    assert (support.REVIEWER[0], "totp_disabled") in _actions(database_url)


def test_an_admin_cannot_turn_it_off(admin, database_url: str) -> None:
    page = admin.get("/account").get_data(as_text=True)
    assert "Required for admins" in page and "disable" not in page
    admin.post(
        "/account/2fa/disable", data={"csrf_token": csrf_token(page), "code": support.next_code(support.ADMIN[0])}
    )
    assert "Admins must keep two-factor" in admin.get("/account").get_data(as_text=True)
    with transaction(database_url) as session:
        assert auth.find_user(session, support.ADMIN[0]).totp_enabled_at is not None


def test_admin_resets_a_lost_second_factor(app: Flask, admin, reviewer, database_url: str) -> None:
    _enrol(reviewer)
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Reset two-factor" in page
    admin.post(f"/admin/users/{support.REVIEWER[0]}/reset-2fa", data={"csrf_token": csrf_token(page)})
    assert "Two-factor sign-in of rudi.review reset" in admin.get("/admin/users").get_data(as_text=True)
    assert reviewer.get("/").status_code == 302  # signed out
    assert sign_in(app.test_client(), *support.REVIEWER).headers["Location"] == "/"  # no code asked now
    assert (support.ADMIN[0], "totp_reset") in _actions(database_url)
