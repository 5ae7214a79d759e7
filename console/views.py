"""Thin Flask views: parse the request, call console.auth / queries / workflow, render."""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Dict, List, Optional

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   session as cookie_session, url_for)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import Session

from bot.recruitment.risk import FLAG_CODES
from bot.reports.texts import load_report_texts
from bot.settings import Settings
from bot.storage.db import transaction
from bot.storage.models import REPORT_STATUSES, Report, utcnow
from console import auth, charts, export, queries, workflow
from console.app import Staff
from console.forms import (AssignForm, CsrfOnlyForm, LoginForm, MessageForm, NoteForm, StatusForm, TokenCreateForm,
                           UserCreateForm)
from console.privacy import can_see_contact, hide_contact
from console.transcript import load_transcript

logger = logging.getLogger("console")
blueprint = Blueprint("console", __name__)

LEVEL_LABELS: Dict[str, str] = {"urgent": "Urgent", "high": "High", "medium": "Medium", "low": "Low"}
STATUS_LABELS: Dict[str, str] = {"new": "New", "in_review": "In review", "escalated": "Escalated",
                                 "resolved": "Resolved", "dismissed": "Dismissed"}


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
    return {"LEVEL_LABELS": LEVEL_LABELS, "STATUS_LABELS": STATUS_LABELS, "logout_form": CsrfOnlyForm()}


@blueprint.app_errorhandler(403)
def _forbidden(_error: Exception):
    return render_template("error.html", title="Not allowed", message="This page is for admins."), 403


@blueprint.app_errorhandler(404)
def _not_found(_error: Exception):
    if request.path.startswith("/api/"):
        return jsonify(error="not found"), 404
    return render_template("error.html", title="Not found", message="There is no such page or report."), 404


# --- sign-in ---------------------------------------------------------------------------------


def _safe_next(target: Optional[str]) -> str:
    """Only paths on this site: "//evil.example" or "https://…" would be an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("console.queue")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        config = settings()
        with db() as session:
            result = auth.authenticate(session, form.username.data, form.password.data, utcnow(),
                                       config.console_max_login_failures, config.console_lock_minutes)
            user = Staff.of(result.user) if result.user is not None else None
        if user is not None:
            cookie_session.clear()  # nothing from before sign-in carries over
            cookie_session.permanent = True
            login_user(user)
            logger.info("staff sign-in: %s", user.username)
            return redirect(_safe_next(request.args.get("next")))
        if result.outcome == "locked":
            error = f"Too many failed sign-ins. Try again in {result.locked_minutes} minutes."
        else:
            error = "Wrong username or password."
    status = 200 if error is None else 401
    return render_template("login.html", form=form, error=error), status


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    logout_user()
    cookie_session.clear()
    return redirect(url_for("console.login"))


# --- queue and report ------------------------------------------------------------------------


@blueprint.route("/")
@login_required
def queue():
    queue_filter = queries.QueueFilter.from_args(request.args)
    with db() as session:
        page = queries.queue(session, queue_filter)
    return render_template("queue.html", page=page, filter=queue_filter, levels=queries.LEVEL_ORDER,
                           statuses=queries.STATUS_CHOICES, channels=queries.CHANNELS, flags=flag_titles())


def _assignee_choices(session: Session) -> List[tuple]:
    return [("", "— nobody —")] + [(user.username, user.username)
                                  for user in auth.list_users(session) if user.active]


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
            details.append({"code": code, "title": flag["title"]["en"], "explanation": flag["explanation"]["en"],
                            "rule": flag["rule"]["en"]})
    return details


@blueprint.route("/reports/<int:report_id>")
@login_required
def report_detail(report_id: int):
    role = staff().role
    with db() as session:
        report = _report_or_404(session, report_id)
        linked = queries.linked_reports(session, report)
        events = queries.audit_trail(session, report)
        messages = list(report.messages)
        status_form = StatusForm()
        status_form.status.choices = [(s, STATUS_LABELS[s]) for s in REPORT_STATUSES
                                      if s in workflow.allowed_targets(report.status)]
        assign_form = AssignForm(assignee=report.assigned_to or "")
        assign_form.assignee.choices = _assignee_choices(session)
    lines = load_transcript(settings().tracker_store_url, report.conversation_id)
    transcript = None if lines is None else [
        {"speaker": line.speaker, "text": hide_contact(line.text, report, role), "at": line.at} for line in lines
    ]
    return render_template(
        "report.html", report=report, flags=_flag_details(list(report.flags or [])), linked=linked, events=events,
        messages=messages, transcript=transcript, show_contact=can_see_contact(role, report),
        status_form=status_form, assign_form=assign_form, note_form=NoteForm(), message_form=MessageForm(),
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
    return "; ".join(f"{getattr(form, name).label.text}: {' '.join(problems)}" for name, problems in form.errors.items())


@blueprint.route("/reports/<int:report_id>/status", methods=["POST"])
@login_required
def change_status(report_id: int):
    form = StatusForm()
    form.status.choices = [(s, s) for s in REPORT_STATUSES]

    def change(session: Session, report: Report) -> str:
        workflow.change_status(session, report, form.status.data, staff().username,
                               institution=form.institution.data or None, reason=form.reason.data)
        return f"Status changed to {STATUS_LABELS[form.status.data]}."

    return _apply(report_id, form, change)


@blueprint.route("/reports/<int:report_id>/assign", methods=["POST"])
@login_required
def assign(report_id: int):
    form = AssignForm()
    with db() as session:
        form.assignee.choices = _assignee_choices(session)

    def change(session: Session, report: Report) -> str:
        workflow.assign(session, report, form.assignee.data, staff().username)
        return f"Assigned to {form.assignee.data}." if form.assignee.data else "Unassigned."

    return _apply(report_id, form, change)


@blueprint.route("/reports/<int:report_id>/note", methods=["POST"])
@login_required
def add_note(report_id: int):
    form = NoteForm()

    def change(session: Session, report: Report) -> str:
        workflow.add_note(session, report, staff().username, form.text.data)
        return "Note added."

    return _apply(report_id, form, change)


@blueprint.route("/reports/<int:report_id>/message", methods=["POST"])
@login_required
def message_reporter(report_id: int):
    form = MessageForm()

    def change(session: Session, report: Report) -> str:
        workflow.message_reporter(session, report, staff().username, form.text.data)
        return "Message saved: the reporter reads it at their next status check (Telegram and WhatsApp reporters also get a notice in their chat)."

    return _apply(report_id, form, change)


@blueprint.route("/export.csv")
@login_required
def export_csv():
    queue_filter = queries.QueueFilter.from_args(request.args)
    with db() as session:
        reports = queries.all_matching(session, queue_filter)
        body = export.reports_csv(reports, staff().role)
    logger.info("CSV export by %s: %d reports", staff().username, len(reports))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=reports-{utcnow():%Y%m%d-%H%M}.csv"})


@blueprint.route("/dashboard")
@login_required
def dashboard():
    with db() as session:
        trends = queries.trends(session, utcnow().date())
    titles = flag_titles()
    return render_template(
        "dashboard.html", trends=trends,
        level_chart=charts.stacked_weekly_bars("Reports per week by level", trends.weeks, trends.by_level,
                                               LEVEL_LABELS),
        flag_chart=charts.stacked_weekly_bars("Reports per week by red flag", trends.weeks, trends.by_flag, titles),
        area_chart=charts.horizontal_bars("Areas named in most reports", trends.top_areas, "#0f766e"),
        recruiter_chart=charts.horizontal_bars("Recruiters named in several reports", trends.repeat_recruiters,
                                               "#b91c1c"),
    )


# --- admin -----------------------------------------------------------------------------------


@blueprint.route("/admin/users", methods=["GET", "POST"])
@admin_required
def users():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            with db() as session:
                created = auth.create_user(session, form.username.data, form.password.data, form.role.data)
                flash(f"Account {created.username} ({created.role}) created.", "ok")
            return redirect(url_for("console.users"))
        except auth.AccountError as error:
            flash(str(error), "error")
    with db() as session:
        accounts = auth.list_users(session)
    return render_template("users.html", form=form, users=accounts, toggle_form=CsrfOnlyForm())


@blueprint.route("/admin/users/<username>/<any(enable, disable):action>", methods=["POST"])
@admin_required
def set_user_active(username: str, action: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    if username == staff().username and action == "disable":
        flash("You cannot disable your own account.", "error")
        return redirect(url_for("console.users"))
    try:
        with db() as session:
            auth.set_active(session, username, action == "enable")
        flash(f"Account {username} {action}d.", "ok")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("console.users"))


@blueprint.route("/admin/tokens", methods=["GET", "POST"])
@admin_required
def tokens():
    form = TokenCreateForm()
    new_token = None
    with db() as session:
        form.username.choices = [(u.username, f"{u.username} ({u.role})") for u in auth.list_users(session) if u.active]
    if form.validate_on_submit():
        try:
            with db() as session:
                new_token = auth.create_token(session, form.username.data, form.name.data, staff().username)
        except auth.AccountError as error:
            flash(str(error), "error")
    with db() as session:
        rows = [{"id": t.id, "name": t.name, "user": t.user.username, "created_by": t.created_by,
                 "created_at": t.created_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}
                for t in auth.list_tokens(session)]
    # The new token is shown once, in this response only (never in a flash, which lives in the cookie).
    return render_template("tokens.html", form=form, tokens=rows, new_token=new_token, revoke_form=CsrfOnlyForm())


@blueprint.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@admin_required
def revoke_token(token_id: int):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    try:
        with db() as session:
            auth.revoke_token(session, token_id, utcnow())
        flash("Token revoked.", "ok")
    except auth.AccountError as error:
        flash(str(error), "error")
    return redirect(url_for("console.tokens"))


# --- JSON API --------------------------------------------------------------------------------


def report_summary(report: Report) -> Dict[str, Any]:
    return {
        "id": report.id, "case_code": report.case_code, "status": report.status, "risk_level": report.risk_level,
        "flags": list(report.flags or []), "channel": report.channel, "created_at": report.created_at.isoformat() + "Z",
        "location": report.location, "recruiter_name": report.recruiter_name, "assigned_to": report.assigned_to,
        "escalated_to": report.escalated_to,
    }


def report_full(report: Report, role: str, session: Session) -> Dict[str, Any]:
    data = report_summary(report)
    data.update({
        "what_happened": report.what_happened, "recruiter_kind": report.recruiter_kind,
        "recruiter_phone": report.recruiter_phone, "money_text": report.money_text, "money_idr": report.money_idr,
        "documents_held": report.documents_held, "reporter_safe": report.reporter_safe,
        "reporter_location": report.reporter_location, "consent_to_contact": report.consent_to_contact,
        "anonymous": report.anonymous, "decision_reason": report.decision_reason,
        "reporter_contact": report.reporter_contact if can_see_contact(role, report) else None,
        "linked_report_ids": [other.id for other in queries.linked_reports(session, report)],
        "events": [{"kind": e.kind, "actor": e.actor, "at": e.created_at.isoformat() + "Z", "detail": e.detail}
                   for e in queries.audit_trail(session, report)],
    })
    return data


@blueprint.route("/api/reports")
@login_required
def api_reports():
    queue_filter = queries.QueueFilter.from_args(request.args)
    with db() as session:
        page = queries.queue(session, queue_filter)
        items = [report_summary(report) for report in page.items]
    return jsonify(items=items, total=page.total, page=page.page, pages=page.pages)


@blueprint.route("/api/reports/<int:report_id>")
@login_required
def api_report(report_id: int):
    with db() as session:
        report = _report_or_404(session, report_id)
        return jsonify(report_full(report, staff().role, session))
