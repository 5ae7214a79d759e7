"""The console through Flask's test client: sign-in, CSRF, escaping, roles, API and workflow."""

from __future__ import annotations

import datetime as dt
import secrets
import stat

import pytest
from babel.dates import format_datetime
from flask import Flask
from sqlalchemy import select

from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.models import ReportEvent, utcnow
from console import auth
from console.app import create_app
from tests.console import support
from tests.console.support import XSS, csrf_token, sign_in


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- sign-in and sessions --------------------------------------------------------------------


def test_pages_redirect_to_login_and_api_answers_401(client) -> None:
    for path in ("/", "/reports/1", "/dashboard", "/export.csv", "/admin/users", "/admin/tokens"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    response = client.get("/api/reports")
    assert response.status_code == 401 and response.get_json() == {"error": "authentication required"}


def test_login_without_csrf_token_is_refused(client) -> None:
    response = client.post("/login", data={"username": support.ADMIN[0], "password": support.ADMIN[1]})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_login_sets_a_hardened_cookie_and_logout_needs_post_with_csrf(client) -> None:
    response = sign_in(client, *support.ADMIN)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = _page(client, "/")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert client.get("/").status_code == 302


def test_cookie_is_secure_behind_https(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_BASE_URL", "https://console.example.org")
    client = create_app(get_settings()).test_client()
    assert "Secure" in sign_in(client, *support.ADMIN).headers["Set-Cookie"]


def test_generated_secret_key_is_private_and_kept(app: Flask) -> None:
    path = get_settings().var_dir / "console_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert create_app(get_settings()).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_wrong_password_then_lock_out_after_five_failures(client, frozen_now) -> None:
    for _ in range(4):
        response = sign_in(client, support.REVIEWER[0], "not-the-password")
        assert response.status_code == 401 and "Wrong username or password" in response.get_data(as_text=True)
    assert "Too many failed sign-ins" in sign_in(client, support.REVIEWER[0], "nope").get_data(as_text=True)
    response = sign_in(client, *support.REVIEWER)
    assert response.status_code == 401 and "Too many failed sign-ins" in response.get_data(as_text=True)


def test_next_parameter_cannot_redirect_off_site(client) -> None:
    """For a two-factor account the target is kept through the code step."""
    for target, expected in (("//evil.example/x", "/"), ("/dashboard", "/dashboard")):
        token = csrf_token(_page(client, "/login"))
        data = {"username": support.ADMIN[0], "password": support.ADMIN[1], "csrf_token": token}
        assert client.post(f"/login?next={target}", data=data).headers["Location"] == "/login/code"
        assert support.enter_code(client, support.next_code(support.ADMIN[0])).headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_token(_page(client, expected))})
    token = csrf_token(_page(client, "/login"))
    data = {"username": support.REVIEWER[0], "password": support.REVIEWER[1], "csrf_token": token}
    assert client.post("/login?next=https://evil.example/", data=data).headers["Location"] == "/"


def test_disabled_account_is_signed_out_at_once(reviewer, database_url: str) -> None:
    assert reviewer.get("/").status_code == 200
    with transaction(database_url) as session:
        auth.set_active(session, support.REVIEWER[0], False, actor=support.ADMIN[0])
    assert reviewer.get("/").status_code == 302


def test_security_headers(admin) -> None:
    response = admin.get("/")
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"


# --- escaping --------------------------------------------------------------------------------


def test_report_text_is_escaped_in_queue_detail_and_api(admin, database_url: str) -> None:
    report_id = support.add_report(database_url, what_happened=XSS, recruiter_name=XSS, location=XSS)
    for html in (_page(admin, "/"), _page(admin, f"/reports/{report_id}"), _page(admin, "/dashboard")):
        assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _page(admin, f"/reports/{report_id}")
    assert admin.get(f"/api/reports/{report_id}").headers["Content-Type"] == "application/json"


def test_transcript_is_shown_escaped_or_reported_unavailable(admin, database_url: str) -> None:
    with_chat = support.add_report(database_url, conversation_id="tg-555")
    without = support.add_report(database_url, conversation_id="tg-none")
    assert "Transcript unavailable" in _page(admin, f"/reports/{with_chat}")  # no tracker store yet
    support.write_tracker(
        get_settings().var_dir / "tracker.db",
        "tg-555",
        [("user", "lapor calo"), ("action", "action_start_report"), ("bot", "Apa yang terjadi?"), ("user", XSS)],
    )
    html = _page(admin, f"/reports/{with_chat}")
    assert "lapor calo" in html and "Apa yang terjadi?" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "action_listen" not in html and "tg-555" not in html  # the sender id is personal data
    assert "Transcript unavailable" in _page(admin, f"/reports/{without}")


# --- roles and privacy -----------------------------------------------------------------------


def _contact_reports(url: str):
    return (
        support.add_report(url, consent_to_contact=False, anonymous=False, reporter_contact="+6289800000001"),
        support.add_report(url, consent_to_contact=True, anonymous=False, reporter_contact="+6289800000002"),
    )


def test_reviewer_sees_contact_only_with_consent_admin_always(reviewer, admin, database_url: str) -> None:
    refusing, consenting = _contact_reports(database_url)
    assert "+6289800000001" not in _page(reviewer, f"/reports/{refusing}")
    assert "+6289800000001" not in reviewer.get(f"/api/reports/{refusing}").get_data(as_text=True)
    assert "+6289800000002" in _page(reviewer, f"/reports/{consenting}")
    assert "+6289800000001" in _page(admin, f"/reports/{refusing}")
    assert admin.get(f"/api/reports/{refusing}").get_json()["reporter_contact"] == "+6289800000001"


def test_csv_export_is_masked_for_reviewers(reviewer, admin, database_url: str) -> None:
    _contact_reports(database_url)
    reviewer_csv = reviewer.get("/export.csv").get_data(as_text=True)
    admin_csv = admin.get("/export.csv").get_data(as_text=True)
    for number in ("+6281234567890", "+6289800000002"):
        assert number not in reviewer_csv and number in admin_csv


def test_reviewer_cannot_manage_users_or_tokens(reviewer) -> None:
    token = csrf_token(_page(reviewer, "/"))
    assert reviewer.get("/admin/users").status_code == 403
    assert reviewer.get("/admin/tokens").status_code == 403
    response = reviewer.post(
        "/admin/users",
        data={"csrf_token": token, "username": "mallory", "password": "mallory-password-1", "role": "admin"},
    )
    assert response.status_code == 403
    assert reviewer.post(f"/admin/users/{support.ADMIN[0]}/disable", data={"csrf_token": token}).status_code == 403
    assert "Users" not in _page(reviewer, "/").split("<main>")[0]


def test_admin_creates_and_disables_accounts(admin, database_url: str) -> None:
    page = _page(admin, "/admin/users")
    response = admin.post(
        "/admin/users",
        data={"csrf_token": csrf_token(page), "username": "dewi", "password": "dewi-password-123", "role": "reviewer"},
    )
    assert response.status_code == 302
    assert "dewi" in _page(admin, "/admin/users")
    assert admin.post("/admin/users/dewi/disable", data={"csrf_token": csrf_token(page)}).status_code == 302
    with transaction(database_url) as session:
        assert auth.find_user(session, "dewi").active is False


# --- API -------------------------------------------------------------------------------------


def test_api_with_bearer_token(client, admin, database_url: str) -> None:
    report_id = support.add_report(database_url, level="urgent", flags=["document_retention"])
    page = _page(admin, "/admin/tokens")
    html = admin.post(
        "/admin/tokens", data={"csrf_token": csrf_token(page), "username": support.REVIEWER[0], "name": "weekly stats"}
    ).get_data(as_text=True)
    token = html.split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/reports", headers={"Authorization": "Bearer sct_wrong"}).status_code == 401
    response = client.get("/api/reports?level=urgent", headers=headers)
    assert response.status_code == 200
    (item,) = response.get_json()["items"]
    assert {"id", "case_code", "status", "risk_level", "flags", "channel", "created_at"} <= set(item)
    assert (item["id"], item["flags"]) == (report_id, ["document_retention"])
    assert client.get(f"/api/reports/{report_id}", headers=headers).status_code == 200
    assert client.get("/api/reports/99999", headers=headers).status_code == 404
    # The token opens the API only, not the pages.
    assert client.get("/", headers=headers).status_code == 302
    with transaction(database_url) as session:
        auth.revoke_token(session, auth.list_tokens(session)[0].id, utcnow())
    assert client.get("/api/reports", headers=headers).status_code == 401


# --- workflow through the forms --------------------------------------------------------------


def test_status_change_with_note_is_in_the_audit_trail(reviewer, database_url: str) -> None:
    report_id = support.add_report(database_url)
    token = csrf_token(_page(reviewer, f"/reports/{report_id}"))
    path = f"/reports/{report_id}/status"
    assert reviewer.post(path, data={"status": "in_review"}).status_code == 400  # no CSRF token
    reviewer.post(
        path,
        data={
            "csrf_token": token,
            "status": "escalated",
            "institution": "KBRI Tokyo",
            "reason": "Passport held in Osaka",
        },
    )
    html = _page(reviewer, f"/reports/{report_id}")
    assert "Escalated" in html and "KBRI Tokyo" in html and "Passport held in Osaka" in html
    # A forbidden change is explained and changes nothing.
    reviewer.post(path, data={"csrf_token": token, "status": "in_review"})
    assert "cannot go from Escalated to In review" in _page(reviewer, f"/reports/{report_id}")
    with transaction(database_url) as session:
        kinds = [
            (e.kind, e.actor)
            for e in session.execute(
                select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)
            ).scalars()
        ]
    assert kinds == [("created", "reporter"), ("status_changed", support.REVIEWER[0])]


def test_note_assignment_and_message_to_reporter(reviewer, database_url: str) -> None:
    report_id = support.add_report(database_url)
    token = csrf_token(_page(reviewer, f"/reports/{report_id}"))
    reviewer.post(f"/reports/{report_id}/note", data={"csrf_token": token, "text": "Asked KP2MI about the LPK"})
    reviewer.post(f"/reports/{report_id}/assign", data={"csrf_token": token, "assignee": support.REVIEWER[0]})
    reviewer.post(f"/reports/{report_id}/message", data={"csrf_token": token, "text": f"Terima kasih {XSS}"})
    html = _page(reviewer, f"/reports/{report_id}")
    assert "Asked KP2MI about the LPK" in html and "not yet seen" in html
    assert "assigned to rudi.review" in html and "<script>alert" not in html
    assert "message_to_reporter" in html


# --- HTTPS: HSTS and Secure cookies ------------------------------------------------------------

HSTS = "max-age=31536000; includeSubDomains"


def _https_sign_in(client, base_url: str = "https://localhost", **headers: str):
    page = client.get("/login", base_url=base_url, headers=headers)
    data = {
        "username": support.REVIEWER[0],
        "password": support.REVIEWER[1],
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }
    # Over HTTPS Flask-WTF also checks the Referer is this site (no CSRF from an http:// page).
    response = client.post(
        "/login", base_url=base_url, data=data, headers={"Referer": "https://localhost/login", **headers}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return page, response


def test_hsts_and_secure_cookie_when_the_request_is_https(client) -> None:
    page, response = _https_sign_in(client)
    assert page.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "Secure" in response.headers["Set-Cookie"]
    plain = client.get("/login")  # plain HTTP and an http:// CONSOLE_BASE_URL (local development)
    assert "Strict-Transport-Security" not in plain.headers


def test_hsts_on_every_response_when_the_base_url_is_https(database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("CONSOLE_BASE_URL", "https://console.example.org")
    client = create_app(get_settings()).test_client()
    for path in ("/login", "/", "/api/reports", "/static/console.css", "/no-such-page"):
        assert client.get(path).headers["Strict-Transport-Security"] == HSTS, path


def test_forwarded_proto_counts_only_from_trusted_proxies(database_url: str, monkeypatch) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusted = create_app(get_settings()).test_client()
    assert "Strict-Transport-Security" not in untrusted.get("/login", headers=forwarded).headers
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    behind_proxy = create_app(get_settings()).test_client()
    page, response = _https_sign_in(behind_proxy, "http://localhost", **forwarded)
    assert page.headers["Strict-Transport-Security"] == HSTS
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("key", ["short-secret", "CHANGE-ME-long-random-0123456789abcdefghij"])
def test_a_weak_secret_key_is_refused(database_url: str, monkeypatch, key: str) -> None:
    monkeypatch.setenv("CONSOLE_SECRET_KEY", key)
    with pytest.raises(ValueError, match="CONSOLE_SECRET_KEY"):
        create_app(get_settings())
    monkeypatch.setenv("CONSOLE_SECRET_KEY", secrets.token_hex(32))
    assert create_app(get_settings()).config["SECRET_KEY"] == get_settings().console_secret_key


# --- token expiry ------------------------------------------------------------------------------


def test_tokens_expire_and_the_tokens_page_shows_their_dates(database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("CONSOLE_TOKEN_DAYS", "30")
    app = create_app(get_settings())
    admin, api = app.test_client(), app.test_client()
    sign_in(admin, *support.ADMIN)
    page = _page(admin, "/admin/tokens")
    assert "expires 30 days after" in page
    html = admin.post(
        "/admin/tokens",
        data={"csrf_token": csrf_token(page), "username": support.REVIEWER[0], "name": "monthly figures"},
    ).get_data(as_text=True)
    token = html.split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/reports", headers=headers).status_code == 200
    with transaction(database_url) as session:
        [row] = auth.list_tokens(session)
        assert row.expires_at - row.created_at == dt.timedelta(days=30)
        expires = row.expires_at
    listing = " ".join(_page(admin, "/admin/tokens").split())
    assert "<th>Created</th><th>Last used</th><th>Expires</th><th>Revoked</th>" in listing
    # Shown in the console's time zone and the page's language; the machine-readable time is UTC.
    shown = format_datetime(expires.replace(tzinfo=dt.timezone.utc), "medium", tzinfo="Asia/Jakarta", locale="en")
    assert f'<time datetime="{expires.isoformat()}Z">{" ".join(shown.split())}</time>' in listing
    assert 'class="state-active">active' in listing
    with transaction(database_url) as session:
        auth.list_tokens(session)[0].expires_at = utcnow() - dt.timedelta(seconds=1)
    response = api.get("/api/reports", headers=headers)
    assert response.status_code == 401 and response.get_json() == {"error": "authentication required"}
    assert 'class="state-expired">expired' in _page(admin, "/admin/tokens")
