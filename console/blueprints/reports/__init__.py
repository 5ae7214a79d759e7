"""The review queue, one report with its workflow (status, assignee, notes, a message to the
reporter), the CSV export and the dashboard. Every signed-in role may use them; what a role may
see of the reporter's contact is decided in ``console.privacy``."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone, gettext
from flask_login import login_required
from sqlalchemy.orm import Session

from bot.reports.status import REPORT_STATUSES
from bot.storage.models import Report
from console.labels import LEVEL_LABELS, STATUS_LABELS
from console import auth, charts, export, queries, web, workflow
from console.db import change, request_session
from console.forms import AssignForm, MessageForm, NoteForm, StatusForm
from console.i18n import page_language
from console.privacy import can_see_contact, hide_contact
from console.transcript import load_transcript

logger = logging.getLogger("console")
blueprint = Blueprint("reports", __name__, template_folder="templates")

REPORT_ID = "<int(min=1, max=2147483647):report_id>"


@blueprint.route("/")
@login_required
def queue():
    queue_filter = queries.QueueFilter.from_args(request.args, web.settings().console_timezone)
    return render_template(
        "reports/queue.html",
        page=queries.queue(request_session(), queue_filter),
        filter=queue_filter,
        levels=queries.LEVEL_ORDER,
        statuses=queries.STATUS_CHOICES,
        channels=queries.CHANNELS,
        flags=web.flag_titles(),
    )


def _assignee_choices(session: Session) -> List[tuple]:
    return [("", gettext("— nobody —"))] + [(user.username, user.username) for user in auth.list_users(session) if user.active]


def _flag_details(codes: List[str]) -> List[Dict[str, str]]:
    texts = web.report_texts()
    language = page_language()  # content/ has each text in "id" and "en"
    details = []
    for code in codes:
        flag = texts.flags.get(code)
        if flag is None:
            details.append({"code": code, "title": code, "explanation": "", "rule": ""})
        else:
            details.append(
                {
                    "code": code,
                    "title": flag["title"].get(language, flag["title"]["en"]),
                    "explanation": flag["explanation"].get(language, flag["explanation"]["en"]),
                    "rule": flag["rule"].get(language, flag["rule"]["en"]),
                }
            )
    return details


@blueprint.route(f"/reports/{REPORT_ID}")
@login_required
def report_detail(report_id: int):
    role = web.staff().role
    session = request_session()
    report = web.report_or_404(session, report_id)
    status_form = StatusForm()
    status_form.status.choices = [
        (s, STATUS_LABELS[s]) for s in REPORT_STATUSES if s in workflow.allowed_targets(report.status)
    ]
    assign_form = AssignForm(assignee=report.assigned_to or "")
    assign_form.assignee.choices = _assignee_choices(session)
    lines = load_transcript(
        web.settings().tracker_store_url,
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
        "reports/report.html",
        report=report,
        flags=_flag_details(list(report.flags or [])),
        linked=queries.linked_reports(session, report),
        events=queries.audit_trail(session, report),
        messages=list(report.messages),
        transcript=transcript,
        show_contact=can_see_contact(role, report),
        status_form=status_form,
        assign_form=assign_form,
        note_form=NoteForm(),
        message_form=MessageForm(),
    )


def _apply(report_id: int, form: Any, step: Callable[[Session, Report], str]):
    """Check the submitted form (CSRF included), run one workflow step (a refused one leaves
    nothing behind), then back to the report with what happened."""
    problem = web.form_problem(form)
    if problem:
        flash(problem, "error")
        return redirect(url_for("reports.report_detail", report_id=report_id))
    try:
        with change() as session:
            flash(step(session, web.report_or_404(session, report_id)), "ok")
    except workflow.WorkflowError as error:
        flash(str(error), "error")
    return redirect(url_for("reports.report_detail", report_id=report_id))


@blueprint.route(f"/reports/{REPORT_ID}/status", methods=["POST"])
@login_required
def change_status(report_id: int):
    form = StatusForm()
    form.status.choices = [(s, s) for s in REPORT_STATUSES]

    def step(session: Session, report: Report) -> str:
        workflow.change_status(
            session,
            report,
            form.status.data,
            web.staff().username,
            institution=form.institution.data or None,
            reason=form.reason.data,
        )
        return gettext("Status changed to %(status)s.", status=STATUS_LABELS[form.status.data])

    return _apply(report_id, form, step)


@blueprint.route(f"/reports/{REPORT_ID}/assign", methods=["POST"])
@login_required
def assign(report_id: int):
    form = AssignForm()
    form.assignee.choices = _assignee_choices(request_session())

    def step(session: Session, report: Report) -> str:
        workflow.assign(session, report, form.assignee.data, web.staff().username)
        if form.assignee.data:
            return gettext("Assigned to %(name)s.", name=form.assignee.data)
        return gettext("Unassigned.")

    return _apply(report_id, form, step)


@blueprint.route(f"/reports/{REPORT_ID}/note", methods=["POST"])
@login_required
def add_note(report_id: int):
    form = NoteForm()

    def step(session: Session, report: Report) -> str:
        workflow.add_note(session, report, web.staff().username, form.text.data)
        return gettext("Note added.")

    return _apply(report_id, form, step)


@blueprint.route(f"/reports/{REPORT_ID}/message", methods=["POST"])
@login_required
def message_reporter(report_id: int):
    form = MessageForm()

    def step(session: Session, report: Report) -> str:
        workflow.message_reporter(session, report, web.staff().username, form.text.data)
        return gettext(
            "Message saved: the reporter reads it at their next status check"
            " (Telegram and WhatsApp reporters also get a notice in their chat)."
        )

    return _apply(report_id, form, step)


@blueprint.route("/export.csv")
@login_required
def export_csv():
    reports = queries.all_matching(
        request_session(), queries.QueueFilter.from_args(request.args, web.settings().console_timezone)
    )
    body = export.reports_csv(reports, web.staff().role, get_timezone())
    logger.info("CSV export by %s: %d reports", web.staff().username, len(reports))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=reports-{web.utcnow():%Y%m%d-%H%M}.csv"},
    )


@blueprint.route("/dashboard")
@login_required
def dashboard():
    trends = queries.trends(request_session(), web.utcnow().date())
    titles = web.flag_titles()
    return render_template(
        "reports/dashboard.html",
        trends=trends,
        level_chart=charts.stacked_weekly_bars(
            gettext("Reports per week by level"), trends.weeks, trends.by_level, LEVEL_LABELS
        ),
        flag_chart=charts.stacked_weekly_bars(
            gettext("Reports per week by red flag"), trends.weeks, trends.by_flag, titles
        ),
        area_chart=charts.horizontal_bars(gettext("Areas named in most reports"), trends.top_areas, "#0f766e"),
        recruiter_chart=charts.horizontal_bars(
            gettext("Recruiters named in several reports"), trends.repeat_recruiters, "#b91c1c"
        ),
    )
