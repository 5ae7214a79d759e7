"""The Flask application: configuration, sign-in plumbing, security headers, error pages and one
database session per request (console/db.py). The pages are blueprints by area in
``console/blueprints`` (auth, reports, admin, api), each with its templates beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Optional

import pytz
from flask import (
    Flask,
    Request,
    Response,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.kept_secrets import console_secret_key
from bot.settings import Settings, get_settings, secret_problems
from bot.storage.models import utcnow
from console import auth, db, i18n
from console.blueprints.admin import blueprint as admin_pages
from console.blueprints.api import blueprint as api
from console.blueprints.auth import blueprint as auth_pages
from console.blueprints.reports import blueprint as reports_pages
from console.db import request_session
from console.forms import CsrfOnlyForm
from console.health import blueprint as health  # GET /healthz (no sign-in: the container probe)
from console.labels import LEVEL_LABELS, STATUS_LABELS
from console.staff import Staff, required_step
from console.web import is_api_request

SESSION_HOURS = auth.SESSION_HOURS
HSTS = "max-age=31536000; includeSubDomains"
# Where a signed-in user with an unfinished step (a password to change, an admin's missing second
# factor) may still go; everything else sends them to that step.
OPEN_DURING_STEP = frozenset({"auth.login", "auth.login_code", "auth.logout", "static", "api.openapi_json"})

csrf = CSRFProtect()


def _load_user(session_token: str) -> Optional[Staff]:
    """Runs on every request with a session cookie: the cookie only names a server-side session,
    so a revoked, expired or disabled one is signed out at once, whatever the cookie says."""
    row = auth.session_for_token(request_session(), session_token, utcnow())
    return Staff.of(row.user, session_token) if row is not None else None


def _load_user_from_bearer(req: Request) -> Optional[Staff]:
    """``Authorization: Bearer <token>`` signs in API requests only (pages use the session)."""
    if not req.path.startswith("/api/"):
        return None
    scheme, _, token = (req.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = auth.user_for_token(request_session(), token.strip(), utcnow(), _settings().console_token_days)
    return Staff.of(user) if user is not None else None


def _unauthorized() -> Response:
    if is_api_request():
        return jsonify(error="authentication required"), 401
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _finish_step_first() -> Optional[Response]:
    if request.endpoint in OPEN_DURING_STEP:
        return None  # before current_user: a stylesheet needs no session lookup
    step = required_step(current_user)
    if step is None or request.endpoint == step:
        return None
    if is_api_request():
        what = "change your password" if step == "auth.change_password" else "set up two-factor sign-in"
        return jsonify(error=f"finish signing in first: {what}"), 403
    return redirect(url_for(step))


def _settings() -> Settings:
    return current_app.config["CONSOLE_SETTINGS"]


def is_https(req: Request, settings: Settings) -> bool:
    """HTTPS as the browser sees it: this request (after ProxyFix, when proxies are trusted), or
    the public address when TLS ends at a proxy we were not told to trust."""
    return req.is_secure or settings.console_base_url.startswith("https")


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
    if is_https(request, _settings()):
        response.headers["Strict-Transport-Security"] = HSTS
    return response


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure also when this request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def _csrf_error(error: CSRFError):
    # The description is Flask-WTF's English sentence; console.web.FORM_MESSAGES puts it in the catalogue.
    return render_template(
        "error.html",
        title=gettext("Form expired"),
        message=gettext("%(problem)s Go back, reload the page and try again.", problem=gettext(str(error.description))),
    ), 400


def _template_globals() -> Dict[str, Any]:
    return {
        "LEVEL_LABELS": LEVEL_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "logout_form": CsrfOnlyForm(),
        "finishing_step": required_step(current_user),
    }


def _forbidden(_error: Exception):
    return render_template("error.html", title=gettext("Not allowed"), message=gettext("This page is for admins.")), 403


def _not_found(_error: Exception):
    if is_api_request():
        return jsonify(error="not found"), 404
    return render_template(
        "error.html", title=gettext("Not found"), message=gettext("There is no such page or report.")
    ), 404


def create_app(settings: Optional[Settings] = None) -> Flask:
    settings = settings or get_settings()
    problems = secret_problems("CONSOLE_SECRET_KEY", settings.console_secret_key)
    if problems:
        # Anyone who knows the key can forge a session cookie: refuse a weak one outright.
        raise ValueError(" ".join(problems))
    try:
        pytz.timezone(settings.console_timezone)
    except pytz.UnknownTimeZoneError:
        raise ValueError(
            f"CONSOLE_TIMEZONE must be a time zone name such as Asia/Jakarta, not {settings.console_timezone!r}."
        ) from None
    app = Flask(__name__)
    app.config.update(
        CONSOLE_SETTINGS=settings,
        SECRET_KEY=console_secret_key(settings),
        SESSION_COOKIE_NAME="console_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.console_base_url.startswith("https"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
        # A reviewer may spend an hour on one report: the CSRF token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.session_interface = _SessionInterface()
    if settings.trusted_proxy_hops > 0:
        # Only then are X-Forwarded-For / -Proto believed: the client address the lock-out counts
        # and the HTTPS that HSTS and Secure cookies follow. Without proxies anyone could set them.
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    csrf.init_app(app)
    i18n.init_app(app, settings.console_timezone, settings.console_language)
    login_manager = LoginManager(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_user_from_bearer)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_finish_step_first)
    app.after_request(_security_headers)
    db.init_app(app)  # after _security_headers: see console.db.init_app
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(404, _not_found)
    app.context_processor(_template_globals)
    for blueprint in (auth_pages, reports_pages, admin_pages, api, health):
        app.register_blueprint(blueprint)
    return app
