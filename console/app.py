"""The Flask application: configuration, sign-in plumbing and security headers. Views are in
``console.views``."""
from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flask import Flask, Request, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFError, CSRFProtect

from bot.settings import Settings, get_settings
from bot.storage.db import transaction
from bot.storage.models import StaffUser, utcnow
from console.auth import user_for_token

SECRET_FILE = "console_secret"
SESSION_HOURS = 12

csrf = CSRFProtect()


@dataclass(frozen=True)
class Staff(UserMixin):
    """The signed-in account as the views see it (a plain value, not a database row)."""

    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def of(cls, user: StaffUser) -> "Staff":
        return cls(id=user.id, username=user.username, role=user.role)


def load_secret_key(settings: Settings) -> str:
    """CONSOLE_SECRET_KEY, or a key generated once and kept in VAR_DIR so sessions survive restarts."""
    if settings.console_secret_key:
        return settings.console_secret_key
    path: Path = settings.var_dir / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two starting processes cannot both write a key; the loser reads the winner's.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


def _load_user(user_id: str) -> Optional[Staff]:
    """Runs on every request with a session: a disabled account is signed out at once."""
    if not user_id.isdigit():
        return None
    with transaction(_settings().database_url) as session:
        user = session.get(StaffUser, int(user_id))
        return Staff.of(user) if user is not None and user.active else None


def _load_user_from_bearer(req: Request) -> Optional[Staff]:
    """``Authorization: Bearer <token>`` signs in API requests only (pages use the session)."""
    if not req.path.startswith("/api/"):
        return None
    scheme, _, token = (req.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    with transaction(_settings().database_url) as session:
        user = user_for_token(session, token.strip(), utcnow())
        return Staff.of(user) if user is not None else None


def _unauthorized() -> Response:
    if request.path.startswith("/api/"):
        return jsonify(error="authentication required"), 401
    return redirect(url_for("console.login", next=request.full_path if request.query_string else request.path))


def _settings() -> Settings:
    return current_app.config["CONSOLE_SETTINGS"]


def _security_headers(response: Response) -> Response:
    # Pages carry personal data: no caching, no framing, no scripts or styles from elsewhere.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def _csrf_error(error: CSRFError):
    return render_template("error.html", title="Form expired", message=f"{error.description} "
                           "Go back, reload the page and try again."), 400


def create_app(settings: Optional[Settings] = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config.update(
        CONSOLE_SETTINGS=settings,
        SECRET_KEY=load_secret_key(settings),
        SESSION_COOKIE_NAME="console_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.console_base_url.startswith("https"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
        # A reviewer may spend an hour on one report: the CSRF token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    csrf.init_app(app)
    login_manager = LoginManager(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_user_from_bearer)
    login_manager.unauthorized_handler(_unauthorized)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)

    from console.views import blueprint

    app.register_blueprint(blueprint)
    return app
