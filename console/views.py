"""Thin Flask views: parse the request, call console.auth / queries / workflow, render."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as cookie_session,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import Session

from bot.recruitment.risk import FLAG_CODES
from bot.reports.status import REPORT_STATUSES, ReportStatus
from bot.reports.texts import load_report_texts
from bot.settings import Settings
from bot.storage.db import transaction
from bot.storage.models import Report, StaffUser, utcnow
from console import auth, charts, export, queries, workflow
from console.forms import (
    AssignForm,
    CodeForm,
    CsrfOnlyForm,
    LoginForm,
    MessageForm,
    NoteForm,
    PasswordChangeForm,
    StatusForm,
    TokenCreateForm,
    TotpConfirmForm,
    TotpDisableForm,
    UserCreateForm,
)
from console.privacy import can_see_contact, hide_contact
from console.staff import Staff, required_step
from console.transcript import load_transcript

logger = logging.getLogger("console")
blueprint = Blueprint("console", __name__)

LEVEL_LABELS: Dict[str, str] = {"urgent": "Urgent", "high": "High", "medium": "Medium", "low": "Low"}
STATUS_LABELS: Dict[str, str] = {
    ReportStatus.NEW.value: "New",
    ReportStatus.IN_REVIEW.value: "In review",
    ReportStatus.ESCALATED.value: "Escalated",
    ReportStatus.RESOLVED.value: "Resolved",
    ReportStatus.DISMISSED.value: "Dismissed",
}


def settings() -> Settings:
    return current_app.config["CONSOLE_SETTINGS"]


def db() -> Any:
    return transaction(settings().database_url)


def staff() -> Staff:
    return current_user._get_current_object()  # the Staff value, not the proxy


def flag_titles() -> Dict[str, str]:
    texts = load_report_texts(str(settings().content_dir))
    return {code: texts.flags[code]["title"]["en"] for code in FLAG_CODES}


def admin_required(view: Callable) -> Callable:
    @functools.wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not staff().is_admin:
            if request.path.startswith("/api/"):
                return jsonify(error="admins only"), 403
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@blueprint.app_context_processor
def _template_globals() -> Dict[str, Any]:
    return {
        "LEVEL_LABELS": LEVEL_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "logout_form": CsrfOnlyForm(),
        "finishing_step": required_step(current_user),
    }


@blueprint.app_errorhandler(403)
def _forbidden(_error: Exception):
    return render_template("error.html", title="Not allowed", message="This page is for admins."), 403


@blueprint.app_errorhandler(404)
def _not_found(_error: Exception):
    if request.path.startswith("/api/"):
        return jsonify(error="not found"), 404
    return render_template("error.html", title="Not found", message="There is no such page or report."), 404


# --- sign-in ---------------------------------------------------------------------------------

# The half-finished sign-in (password right, code still to come) lives in the signed cookie, not
# as a login: nothing but the code page accepts it, and only for this long.
PENDING_KEY = "pending_sign_in"
PENDING_SECONDS = 5 * 60
LOCKED = "Too many failed sign-ins. Try again in {minutes} minutes."


def _safe_next(target: Optional[str]) -> str:
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
    return url_for("console.queue")


def client_address() -> str:
    """The peer address (the proxy's X-Forwarded-For only when TRUSTED_PROXY_HOPS says so: ProxyFix)."""
    return request.remote_addr or "unknown"


def lock_policy() -> auth.LockPolicy:
    config = settings()
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
        with db() as session:
            auth.end_session(session, previous, utcnow(), "replaced")


def _signed_in(user: Staff, target: Optional[str]) -> Response:
    _end_previous_session()
    cookie_session.clear()  # nothing from before sign-in carries over
    cookie_session.permanent = True
    login_user(user)
    logger.info("staff sign-in: %s", user.username)
    return redirect(_safe_next(target))


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        now = utcnow()
        signed_in: Optional[Staff] = None
        pending: Optional[Dict[str, Any]] = None
        with db() as session:
            result = auth.authenticate(
                session, form.username.data, form.password.data, client_address(), now, lock_policy()
            )
            if result.outcome == "ok":
                signed_in = Staff.of(result.user, auth.start_session(session, result.user, now))
            elif result.outcome == "code":
                pending = {
                    "uid": result.user.id,
                    "pw": auth.password_fingerprint(result.user),
                    "at": _seconds(now),
                    "next": _safe_next(request.args.get("next")),
                }
        if signed_in is not None:
            return _signed_in(signed_in, request.args.get("next"))
        if pending is not None:
            _end_previous_session()
            cookie_session.clear()
            cookie_session[PENDING_KEY] = pending
            return redirect(url_for("console.login_code"))
        if result.outcome == "locked":
            error = LOCKED.format(minutes=result.locked_minutes)
        else:
            # The same words for an unknown user, a wrong password and a disabled account.
            logger.info("staff sign-in failed")
            error = "Wrong username or password."
    status = 200 if error is None else 401
    return render_template("login.html", form=form, error=error), status


@blueprint.route("/login/code", methods=["GET", "POST"])
def login_code():
    now = utcnow()
    pending = cookie_session.get(PENDING_KEY)
    if not pending_is_fresh(pending, now):
        cookie_session.pop(PENDING_KEY, None)
        if pending is not None:
            flash("The sign-in took too long: enter your password again.", "error")
        return redirect(url_for("console.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        signed_in: Optional[Staff] = None
        with db() as session:
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
                signed_in = Staff.of(result.user, auth.start_session(session, result.user, now))
        if signed_in is not None:
            response = _signed_in(signed_in, pending.get("next"))
            if result.recovery_codes_left is not None:
                flash(
                    f"You used a recovery code; {result.recovery_codes_left} left. Lost your phone? Ask an "
                    "admin to reset two-factor sign-in, then set it up again.",
                    "ok",
                )
            return response
        if result.outcome == "expired":
            cookie_session.pop(PENDING_KEY, None)
            flash("Please sign in again.", "error")
            return redirect(url_for("console.login"))
        if result.outcome == "locked":
            error = LOCKED.format(minutes=result.locked_minutes)
        else:
            error = "That code is not right. Enter the 6-digit code your app shows now, or a recovery code."
    elif request.method == "POST":
        error = _form_problem(form)
    status = 200 if error is None else 401
    return render_template("login_code.html", form=form, error=error), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    if staff().session_token:
        with db() as session:
            auth.end_session(session, staff().session_token, utcnow(), "logout")
    logout_user()
    cookie_session.clear()
    return redirect(url_for("console.login"))


# --- own account -----------------------------------------------------------------------------


@blueprint.route("/account")
@login_required
def account():
    with db() as session:
        user = session.get(StaffUser, staff().id)
        others = auth.other_sessions(session, user.id, staff().session_token, utcnow())
        left = auth.recovery_codes_left(session, user.id) if user.totp_enabled_at else 0
    return render_template(
        "account.html",
        user=user,
        other_sessions=others,
        recovery_left=left,
        disable_form=TotpDisableForm(),
        sessions_form=CsrfOnlyForm(),
    )


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        with db() as session:
            error = auth.change_password(
                session,
                staff().id,
                form.current.data,
                form.new.data,
                form.repeat.data,
                client_address(),
                utcnow(),
                lock_policy(),
                keep_token=staff().session_token,
            )
        if error is None:
            flash("Password changed. Every other session of yours has been signed out.", "ok")
            return redirect(url_for("console.account"))
    elif request.method == "POST":
        error = _form_problem(form)
    return render_template(
        "password.html", form=form, error=error, forced=staff().must_change_password
    ), 200 if error is None else 400


@blueprint.route("/account/2fa", methods=["GET", "POST"])
@login_required
def totp_setup():
    form = TotpConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            with db() as session:
                codes = auth.confirm_totp(session, staff().id, form.code.data, utcnow())
            # Shown once, in this response only (never in a flash, which lives in the cookie).
            return render_template("recovery_codes.html", codes=codes)
        except auth.AccountError as problem:
            error = str(problem)
    elif request.method == "POST":
        error = _form_problem(form)
    with db() as session:
        user = session.get(StaffUser, staff().id)
        if user.totp_enabled_at is not None:
            flash("Two-factor sign-in is already on.", "ok")
            return redirect(url_for("console.account"))
        secret = auth.totp_setup_secret(session, user)
        username = user.username
    return render_template(
        "totp_setup.html",
        form=form,
        error=error,
        secret=auth.grouped(secret),
        qr=auth.qr_data_uri(auth.provisioning_uri(secret, username)),
        required=staff().is_admin,
    ), 200 if error is None else 400


@blueprint.route("/account/2fa/disable", methods=["POST"])
@login_required
def totp_disable():
    form = TotpDisableForm()
    problem = _form_problem(form)
    if problem is None:
        with db() as session:
            problem = auth.disable_totp(
                session,
                staff().id,
                form.code.data,
                client_address(),
                utcnow(),
                lock_policy(),
                keep_token=staff().session_token,
            )
    flash(problem or "Two-factor sign-in is off.", "error" if problem else "ok")
    return redirect(url_for("console.account"))


@blueprint.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    with db() as session:
        count = auth.revoke_sessions(
            session, staff().id, utcnow(), "signed_out_elsewhere", keep_token=staff().session_token
        )
    flash(f"Signed out {count} other session(s).", "ok")
    return redirect(url_for("console.account"))


# --- queue and report ------------------------------------------------------------------------


@blueprint.route("/")
@login_required
def queue():
    queue_filter = queries.QueueFilter.from_args(request.args)
    with db() as session:
        page = queries.queue(session, queue_filter)
    return render_template(
        "queue.html",
        page=page,
        filter=queue_filter,
        levels=queries.LEVEL_ORDER,
        statuses=queries.STATUS_CHOICES,
        channels=queries.CHANNELS,
        flags=flag_titles(),
    )


def _assignee_choices(session: Session) -> List[tuple]:
    return [("", "— nobody —")] + [(user.username, user.username) for user in auth.list_users(session) if user.active]


def _report_or_404(session: Session, report_id: int) -> Report:
    report = queries.get_report(session, report_id)
    if report is None:
        abort(404)
    return report


def _flag_details(codes: List[str]) -> List[Dict[str, str]]:
    texts = load_report_texts(str(settings().content_dir))
    details = []
    for code in codes:
        flag = texts.flags.get(code)
        if flag is None:
            details.append({"code": code, "title": code, "explanation": "", "rule": ""})
        else:
            details.append(
                {
                    "code": code,
                    "title": flag["title"]["en"],
                    "explanation": flag["explanation"]["en"],
                    "rule": flag["rule"]["en"],
                }
            )
    return details


@blueprint.route("/reports/<int(min=1, max=2147483647):report_id>")
@login_required
def report_detail(report_id: int):
    role = staff().role
    with db() as session:
        report = _report_or_404(session, report_id)
        linked = queries.linked_reports(session, report)
        events = queries.audit_trail(session, report)
        messages = list(report.messages)
        status_form = StatusForm()
        status_form.status.choices = [
            (s, STATUS_LABELS[s]) for s in REPORT_STATUSES if s in workflow.allowed_targets(report.status)
        ]
        assign_form = AssignForm(assignee=report.assigned_to or "")
        assign_form.assignee.choices = _assignee_choices(session)
    lines = load_transcript(
        settings().tracker_store_url,
        report.conversation_id,
        saved_at=report.created_at,
        anonymous=bool(report.anonymous),
    )
    transcript = (
        None
        if lines is None
        else [{"speaker": line.speaker, "text": hide_contact(line.text, report, role), "at": line.at} for line in lines]
    )
    return render_template(
        "report.html",
        report=report,
        flags=_flag_details(list(report.flags or [])),
        linked=linked,
        events=events,
        messages=messages,
        transcript=transcript,
        show_contact=can_see_contact(role, report),
        status_form=status_form,
        assign_form=assign_form,
        note_form=NoteForm(),
        message_form=MessageForm(),
    )


def _apply(report_id: int, form: Any, change: Callable[[Session, Report], str]):
    """Check the submitted form (CSRF included), run one workflow change in one transaction, then
    back to the report with what happened."""
    problem = _form_problem(form)
    if problem:
        flash(problem, "error")
        return redirect(url_for("console.report_detail", report_id=report_id))
    try:
        with db() as session:
            report = _report_or_404(session, report_id)
            flash(change(session, report), "ok")
    except workflow.WorkflowError as error:
        flash(str(error), "error")
    return redirect(url_for("console.report_detail", report_id=report_id))


def _form_problem(form: Any) -> Optional[str]:
    if form.validate_on_submit():
        return None
    return "; ".join(
        f"{getattr(form, name).label.text}: {' '.join(problems)}" for name, problems in form.errors.items()
    )


@blueprint.route("/reports/<int(min=1, max=2147483647):report_id>/status", methods=["POST"])
@login_required
def change_status(report_id: int):
    form = StatusForm()
    form.status.choices = [(s, s) for s in REPORT_STATUSES]

    def change(session: Session, report: Report) -> str:
        workflow.change_status(
            session,
            report,
            form.status.data,
            staff().username,
            institution=form.institution.data or None,
            reason=form.reason.data,
        )
        return f"Status changed to {STATUS_LABELS[form.status.data]}."

    return _apply(report_id, form, change)


@blueprint.route("/reports/<int(min=1, max=2147483647):report_id>/assign", methods=["POST"])
@login_required
def assign(report_id: int):
    form = AssignForm()
    with db() as session:
        form.assignee.choices = _assignee_choices(session)

    def change(session: Session, report: Report) -> str:
        workflow.assign(session, report, form.assignee.data, staff().username)
        return f"Assigned to {form.assignee.data}." if form.assignee.data else "Unassigned."

    return _apply(report_id, form, change)


@blueprint.route("/reports/<int(min=1, max=2147483647):report_id>/note", methods=["POST"])
@login_required
def add_note(report_id: int):
    form = NoteForm()

    def change(session: Session, report: Report) -> str:
        workflow.add_note(session, report, staff().username, form.text.data)
        return "Note added."

    return _apply(report_id, form, change)


@blueprint.route("/reports/<int(min=1, max=2147483647):report_id>/message", methods=["POST"])
@login_required
def message_reporter(report_id: int):
    form = MessageForm()

    def change(session: Session, report: Report) -> str:
        workflow.message_reporter(session, report, staff().username, form.text.data)
        return (
            "Message saved: the reporter reads it at their next status check"
            " (Telegram and WhatsApp reporters also get a notice in their chat)."
        )

    return _apply(report_id, form, change)


@blueprint.route("/export.csv")
@login_required
def export_csv():
    queue_filter = queries.QueueFilter.from_args(request.args)
    with db() as session:
        reports = queries.all_matching(session, queue_filter)
        body = export.reports_csv(reports, staff().role)
    logger.info("CSV export by %s: %d reports", staff().username, len(reports))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=reports-{utcnow():%Y%m%d-%H%M}.csv"},
    )


@blueprint.route("/dashboard")
@login_required
def dashboard():
    with db() as session:
        trends = queries.trends(session, utcnow().date())
    titles = flag_titles()
    return render_template(
        "dashboard.html",
        trends=trends,
        level_chart=charts.stacked_weekly_bars(
            "Reports per week by level", trends.weeks, trends.by_level, LEVEL_LABELS
        ),
        flag_chart=charts.stacked_weekly_bars("Reports per week by red flag", trends.weeks, trends.by_flag, titles),
        area_chart=charts.horizontal_bars("Areas named in most reports", trends.top_areas, "#0f766e"),
        recruiter_chart=charts.horizontal_bars(
            "Recruiters named in several reports", trends.repeat_recruiters, "#b91c1c"
        ),
    )


# --- admin -----------------------------------------------------------------------------------


def _users_page(form: UserCreateForm, reset: Optional[Dict[str, str]] = None):
    with db() as session:
        accounts = auth.list_users(session)
    return render_template("users.html", form=form, users=accounts, toggle_form=CsrfOnlyForm(), reset=reset)


@blueprint.route("/admin/users", methods=["GET", "POST"])
@admin_required
def users():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            with db() as session:
                created = auth.create_user(
                    session,
                    form.username.data,
                    form.password.data,
                    form.role.data,
                    actor=staff().username,
                    now=utcnow(),
                )
                flash(f"Account {created.username} ({created.role}) created.", "ok")
            return redirect(url_for("console.users"))
        except auth.AccountError as error:
            flash(str(error), "error")
    return _users_page(form)


def _own_account_refused(username: str, what: str) -> Optional[Response]:
    if auth.normalise_username(username) != staff().username:
        return None
    flash(f"You cannot {what} your own account here (use your account page, or ask another admin).", "error")
    return redirect(url_for("console.users"))


@blueprint.route("/admin/users/<username>/<any(enable, disable):action>", methods=["POST"])
@admin_required
def set_user_active(username: str, action: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    refused = _own_account_refused(username, "disable") if action == "disable" else None
    if refused is not None:
        return refused
    try:
        with db() as session:
            auth.set_active(session, username, action == "enable", staff().username, utcnow())
        flash(f"Account {username} {action}d.", "ok")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("console.users"))


@blueprint.route("/admin/users/<username>/reset-password", methods=["POST"])
@admin_required
def reset_password(username: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    refused = _own_account_refused(username, "reset the password of")
    if refused is not None:
        return refused
    try:
        with db() as session:
            user, password = auth.reset_password(session, username, staff().username, utcnow())
            target = user.username
    except auth.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("console.users"))
    # The temporary password is shown once, in this response only (never in a flash or a cookie).
    return _users_page(UserCreateForm(formdata=None), reset={"username": target, "password": password})


@blueprint.route("/admin/users/<username>/reset-2fa", methods=["POST"])
@admin_required
def reset_totp(username: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    refused = _own_account_refused(username, "reset two-factor sign-in of")
    if refused is not None:
        return refused
    try:
        with db() as session:
            user = auth.reset_totp(session, username, staff().username, utcnow())
        flash(
            f"Two-factor sign-in of {user.username} reset and their sessions ended"
            f"{'; they set it up again at their next sign-in' if user.role == 'admin' else ''}.",
            "ok",
        )
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("console.users"))


@blueprint.route("/admin/tokens", methods=["GET", "POST"])
@admin_required
def tokens():
    form = TokenCreateForm()
    new_token = None
    config = settings()
    with db() as session:
        form.username.choices = [(u.username, f"{u.username} ({u.role})") for u in auth.list_users(session) if u.active]
    if form.validate_on_submit():
        try:
            with db() as session:
                new_token = auth.create_token(
                    session,
                    form.username.data,
                    form.name.data,
                    staff().username,
                    now=utcnow(),
                    days=config.console_token_days,
                )
        except auth.AccountError as error:
            flash(str(error), "error")
    now = utcnow()
    with db() as session:
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
        "tokens.html",
        form=form,
        tokens=rows,
        new_token=new_token,
        revoke_form=CsrfOnlyForm(),
        token_days=config.console_token_days,
    )


@blueprint.route("/admin/tokens/<int(min=1, max=2147483647):token_id>/revoke", methods=["POST"])
@admin_required
def revoke_token(token_id: int):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    try:
        with db() as session:
            auth.revoke_token(session, token_id, utcnow(), staff().username)
        flash("Token revoked.", "ok")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("console.tokens"))


# --- JSON API --------------------------------------------------------------------------------


def report_summary(report: Report) -> Dict[str, Any]:
    return {
        "id": report.id,
        "case_code": report.case_code,
        "status": report.status,
        "risk_level": report.risk_level,
        "flags": list(report.flags or []),
        "channel": report.channel,
        "created_at": report.created_at.isoformat() + "Z",
        "location": report.location,
        "recruiter_name": report.recruiter_name,
        "assigned_to": report.assigned_to,
        "escalated_to": report.escalated_to,
    }


def report_full(report: Report, role: str, session: Session) -> Dict[str, Any]:
    data = report_summary(report)
    data.update(
        {
            "what_happened": report.what_happened,
            "recruiter_kind": report.recruiter_kind,
            "recruiter_phone": report.recruiter_phone,
            "money_text": report.money_text,
            "money_idr": report.money_idr,
            "documents_held": report.documents_held,
            "reporter_safe": report.reporter_safe,
            "reporter_location": report.reporter_location,
            "consent_to_contact": report.consent_to_contact,
            "anonymous": report.anonymous,
            "decision_reason": report.decision_reason,
            "reporter_contact": report.reporter_contact if can_see_contact(role, report) else None,
            "linked_report_ids": [other.id for other in queries.linked_reports(session, report)],
            "events": [
                {"kind": e.kind, "actor": e.actor, "at": e.created_at.isoformat() + "Z", "detail": e.detail}
                for e in queries.audit_trail(session, report)
            ],
        }
    )
    return data


@blueprint.route("/api/reports")
@login_required
def api_reports():
    queue_filter = queries.QueueFilter.from_args(request.args)
    with db() as session:
        page = queries.queue(session, queue_filter)
        items = [report_summary(report) for report in page.items]
    return jsonify(items=items, total=page.total, page=page.page, pages=page.pages)


@blueprint.route("/api/reports/<int(min=1, max=2147483647):report_id>")
@login_required
def api_report(report_id: int):
    with db() as session:
        report = _report_or_404(session, report_id)
        return jsonify(report_full(report, staff().role, session))
