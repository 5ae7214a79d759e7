"""Sign-in (password, then a second factor when the account has one), sign-out, and the
signed-in user's own account: password, two-factor sign-in, other sessions."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext, ngettext
from flask_login import login_required, login_user, logout_user

from bot.storage.models import StaffUser
from console import auth, web
from console.db import change, request_session
from console.forms import CodeForm, CsrfOnlyForm, LoginForm, PasswordChangeForm, TotpConfirmForm, TotpDisableForm
from console.staff import Staff

logger = logging.getLogger("console")
blueprint = Blueprint("auth", __name__, template_folder="templates")

# The half-finished sign-in (password right, code still to come) lives in the signed cookie, not
# as a login: nothing but the code page accepts it, and only for this long.
PENDING_KEY = "pending_sign_in"
PENDING_SECONDS = 5 * 60


def locked_message(minutes: int) -> str:
    return gettext("Too many failed sign-ins. Try again in %(minutes)s minutes.", minutes=minutes)


def safe_next(target: Optional[str]) -> str:
    """Only paths on this site: "//evil.example", "https://…" or "/\t/evil.example" (browsers drop
    tabs and newlines, leaving "//evil.example") would be an open redirect."""
    if (
        target
        and len(target) <= 2000
        and target.startswith("/")
        and target.isprintable()
        and not any(ch.isspace() or ch == "\\" for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("reports.queue")


def client_address() -> str:
    """The peer address (the proxy's X-Forwarded-For only when TRUSTED_PROXY_HOPS says so: ProxyFix)."""
    return request.remote_addr or "unknown"


def lock_policy() -> auth.LockPolicy:
    config = web.settings()
    return auth.LockPolicy(config.console_max_login_failures, config.console_lock_minutes)


def _seconds(now: dt.datetime) -> float:
    return (now - auth.EPOCH).total_seconds()  # naive UTC; datetime.timestamp() would assume local time


def pending_is_fresh(pending: Any, now: dt.datetime) -> bool:
    """A half-finished sign-in still usable: made by us (the cookie is signed) and under 5 minutes old."""
    return (
        isinstance(pending, dict)
        and isinstance(pending.get("at"), (int, float))
        and isinstance(pending.get("uid"), int)
        and 0 <= _seconds(now) - pending["at"] <= PENDING_SECONDS
    )


def _end_previous_session() -> None:
    """Signing in over an earlier sign-in ends the earlier server-side session as well, not only
    its cookie: a copy of that cookie must not outlive it."""
    previous = cookie_session.get("_user_id")
    if isinstance(previous, str) and previous:
        auth.end_session(request_session(), previous, web.utcnow(), "replaced")


def _signed_in(user: Staff, target: Optional[str]) -> Response:
    _end_previous_session()
    cookie_session.clear()  # nothing from before sign-in carries over
    cookie_session.permanent = True
    login_user(user)
    logger.info("staff sign-in: %s", user.username)
    return redirect(safe_next(target))


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        now = web.utcnow()
        session = request_session()
        result = auth.authenticate(
            session, form.username.data, form.password.data, client_address(), now, lock_policy()
        )
        if result.outcome == "ok":
            return _signed_in(
                Staff.of(result.user, auth.start_session(session, result.user, now)), request.args.get("next")
            )
        if result.outcome == "code":
            pending: Dict[str, Any] = {
                "uid": result.user.id,
                "pw": auth.password_fingerprint(result.user),
                "at": _seconds(now),
                "next": safe_next(request.args.get("next")),
            }
            _end_previous_session()
            cookie_session.clear()
            cookie_session[PENDING_KEY] = pending
            return redirect(url_for("auth.login_code"))
        if result.outcome == "locked":
            error = locked_message(result.locked_minutes)
        else:
            # The same words for an unknown user, a wrong password and a disabled account.
            logger.info("staff sign-in failed")
            error = gettext("Wrong username or password.")
    status = 200 if error is None else 401
    return render_template("auth/login.html", form=form, error=error), status


@blueprint.route("/login/code", methods=["GET", "POST"])
def login_code():
    now = web.utcnow()
    pending = cookie_session.get(PENDING_KEY)
    if not pending_is_fresh(pending, now):
        cookie_session.pop(PENDING_KEY, None)
        if pending is not None:
            flash(gettext("The sign-in took too long: enter your password again."), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        session = request_session()
        result = auth.verify_second_factor(
            session,
            int(pending["uid"]),
            str(pending.get("pw", "")),
            form.code.data,
            client_address(),
            now,
            lock_policy(),
        )
        if result.outcome == "ok":
            response = _signed_in(
                Staff.of(result.user, auth.start_session(session, result.user, now)), pending.get("next")
            )
            if result.recovery_codes_left is not None:
                flash(
                    gettext(
                        "You used a recovery code; %(left)s left. Lost your phone? Ask an "
                        "admin to reset two-factor sign-in, then set it up again.",
                        left=result.recovery_codes_left,
                    ),
                    "ok",
                )
            return response
        if result.outcome == "expired":
            cookie_session.pop(PENDING_KEY, None)
            flash(gettext("Please sign in again."), "error")
            return redirect(url_for("auth.login"))
        if result.outcome == "locked":
            error = locked_message(result.locked_minutes)
        else:
            error = gettext("That code is not right. Enter the 6-digit code your app shows now, or a recovery code.")
    elif request.method == "POST":
        error = web.form_problem(form)
    status = 200 if error is None else 401
    return render_template("auth/login_code.html", form=form, error=error), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    if web.staff().session_token:
        auth.end_session(request_session(), web.staff().session_token, web.utcnow(), "logout")
    logout_user()
    cookie_session.clear()
    return redirect(url_for("auth.login"))


# --- own account -----------------------------------------------------------------------------


@blueprint.route("/account")
@login_required
def account():
    session = request_session()
    user = session.get(StaffUser, web.staff().id)
    return render_template(
        "auth/account.html",
        user=user,
        other_sessions=auth.other_sessions(session, user.id, web.staff().session_token, web.utcnow()),
        recovery_left=auth.recovery_codes_left(session, user.id) if user.totp_enabled_at else 0,
        disable_form=TotpDisableForm(),
        sessions_form=CsrfOnlyForm(),
    )


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        error = auth.change_password(
            request_session(),
            web.staff().id,
            form.current.data,
            form.new.data,
            form.repeat.data,
            client_address(),
            web.utcnow(),
            lock_policy(),
            keep_token=web.staff().session_token,
        )
        if error is None:
            flash(gettext("Password changed. Every other session of yours has been signed out."), "ok")
            return redirect(url_for("auth.account"))
    elif request.method == "POST":
        error = web.form_problem(form)
    return render_template(
        "auth/password.html", form=form, error=error, forced=web.staff().must_change_password
    ), 200 if error is None else 400


@blueprint.route("/account/2fa", methods=["GET", "POST"])
@login_required
def totp_setup():
    form = TotpConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            with change() as session:
                codes = auth.confirm_totp(session, web.staff().id, form.code.data, web.utcnow())
            # Shown once, in this response only (never in a flash, which lives in the cookie).
            return render_template("auth/recovery_codes.html", codes=codes)
        except auth.AccountError as problem:
            error = str(problem)
    elif request.method == "POST":
        error = web.form_problem(form)
    session = request_session()
    user = session.get(StaffUser, web.staff().id)
    if user.totp_enabled_at is not None:
        flash(gettext("Two-factor sign-in is already on."), "ok")
        return redirect(url_for("auth.account"))
    secret = auth.totp_setup_secret(session, user)
    return render_template(
        "auth/totp_setup.html",
        form=form,
        error=error,
        secret=auth.grouped(secret),
        qr=auth.qr_data_uri(auth.provisioning_uri(secret, user.username)),
        required=web.staff().is_admin,
    ), 200 if error is None else 400


@blueprint.route("/account/2fa/disable", methods=["POST"])
@login_required
def totp_disable():
    form = TotpDisableForm()
    problem = web.form_problem(form)
    if problem is None:
        problem = auth.disable_totp(
            request_session(),
            web.staff().id,
            form.code.data,
            client_address(),
            web.utcnow(),
            lock_policy(),
            keep_token=web.staff().session_token,
        )
    flash(problem or gettext("Two-factor sign-in is off."), "error" if problem else "ok")
    return redirect(url_for("auth.account"))


@blueprint.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    count = auth.revoke_sessions(
        request_session(), web.staff().id, web.utcnow(), "signed_out_elsewhere", keep_token=web.staff().session_token
    )
    flash(
        ngettext("Signed out %(num)s other session(s).", "Signed out %(num)s other sessions.", count),
        "ok",
    )
    return redirect(url_for("auth.account"))
