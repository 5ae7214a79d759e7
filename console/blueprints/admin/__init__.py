"""Admins only: staff accounts (create, enable/disable, reset password or second factor) and the
API tokens that let other systems read the JSON API."""

from __future__ import annotations

from typing import Dict, Optional

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from console import auth, web
from console.db import change, request_session
from console.forms import CsrfOnlyForm, TokenCreateForm, UserCreateForm

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _users_page(form: UserCreateForm, reset: Optional[Dict[str, str]] = None):
    return render_template(
        "admin/users.html",
        form=form,
        users=auth.list_users(request_session()),
        toggle_form=CsrfOnlyForm(),
        reset=reset,
    )


@blueprint.route("/users", methods=["GET", "POST"])
@web.admin_required
def users():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            with change() as session:
                created = auth.create_user(
                    session,
                    form.username.data,
                    form.password.data,
                    form.role.data,
                    actor=web.staff().username,
                    now=web.utcnow(),
                )
            flash(gettext("Account %(name)s (%(role)s) created.", name=created.username, role=created.role), "ok")
            return redirect(url_for("admin.users"))
        except auth.AccountError as error:
            flash(str(error), "error")
    return _users_page(form)


# What an admin may not do to their own account here, as _own_account_refused says it.
_OWN_ACCOUNT_REFUSALS = {
    "disable": lambda: gettext(
        "You cannot disable your own account here (use your account page, or ask another admin)."
    ),
    "reset the password of": lambda: gettext(
        "You cannot reset the password of your own account here (use your account page, or ask another admin)."
    ),
    "reset two-factor sign-in of": lambda: gettext(
        "You cannot reset two-factor sign-in of your own account here (use your account page, or ask another admin)."
    ),
}


def _own_account_refused(username: str, what: str) -> Optional[Response]:
    if auth.normalise_username(username) != web.staff().username:
        return None
    flash(_OWN_ACCOUNT_REFUSALS[what](), "error")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<username>/<any(enable, disable):action>", methods=["POST"])
@web.admin_required
def set_user_active(username: str, action: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    refused = _own_account_refused(username, "disable") if action == "disable" else None
    if refused is not None:
        return refused
    try:
        with change() as session:
            auth.set_active(session, username, action == "enable", web.staff().username, web.utcnow())
        if action == "enable":
            flash(gettext("Account %(name)s enabled.", name=username), "ok")
        else:
            flash(gettext("Account %(name)s disabled.", name=username), "ok")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<username>/reset-password", methods=["POST"])
@web.admin_required
def reset_password(username: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    refused = _own_account_refused(username, "reset the password of")
    if refused is not None:
        return refused
    try:
        with change() as session:
            user, password = auth.reset_password(session, username, web.staff().username, web.utcnow())
    except auth.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.users"))
    # The temporary password is shown once, in this response only (never in a flash or a cookie).
    return _users_page(UserCreateForm(formdata=None), reset={"username": user.username, "password": password})


@blueprint.route("/users/<username>/reset-2fa", methods=["POST"])
@web.admin_required
def reset_totp(username: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    refused = _own_account_refused(username, "reset two-factor sign-in of")
    if refused is not None:
        return refused
    try:
        with change() as session:
            user = auth.reset_totp(session, username, web.staff().username, web.utcnow())
        if user.role == "admin":
            done = gettext(
                "Two-factor sign-in of %(name)s reset and their sessions ended; "
                "they set it up again at their next sign-in.",
                name=user.username,
            )
        else:
            done = gettext("Two-factor sign-in of %(name)s reset and their sessions ended.", name=user.username)
        flash(done, "ok")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.users"))


@blueprint.route("/tokens", methods=["GET", "POST"])
@web.admin_required
def tokens():
    form = TokenCreateForm()
    config = web.settings()
    session = request_session()
    form.username.choices = [(u.username, f"{u.username} ({u.role})") for u in auth.list_users(session) if u.active]
    new_token = None
    if form.validate_on_submit():
        try:
            with change() as session:
                new_token = auth.create_token(
                    session,
                    form.username.data,
                    form.name.data,
                    web.staff().username,
                    now=web.utcnow(),
                    days=config.console_token_days,
                )
        except auth.AccountError as error:
            flash(str(error), "error")
    now = web.utcnow()
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "user": t.user.username,
            "created_by": t.created_by,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
            "expires_at": auth.token_expiry(t, config.console_token_days),
            "state": auth.token_state(t, now, config.console_token_days),
        }
        for t in auth.list_tokens(session)
    ]
    # The new token is shown once, in this response only (never in a flash, which lives in the cookie).
    return render_template(
        "admin/tokens.html",
        form=form,
        tokens=rows,
        new_token=new_token,
        revoke_form=CsrfOnlyForm(),
        token_days=config.console_token_days,
    )


@blueprint.route("/tokens/<int(min=1, max=2147483647):token_id>/revoke", methods=["POST"])
@web.admin_required
def revoke_token(token_id: int):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    try:
        with change() as session:
            auth.revoke_token(session, token_id, web.utcnow(), web.staff().username)
        flash(gettext("Token revoked."), "ok")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.tokens"))
