"""The JSON API under /api: the queue and one report (session cookie or bearer token, the same
roles as the pages), and GET /api/openapi.json, its OpenAPI 3.0 description (console/openapi.yaml).

The description needs no sign-in: it describes paths, filters and error bodies and holds no data,
and tools (and the API fuzz test) read it before they have a token."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict

import yaml
from flask import Blueprint, Response, jsonify, request
from flask_login import login_required
from sqlalchemy.orm import Session

from bot.storage.models import Report
from console import queries, web
from console.db import request_session
from console.privacy import can_see_contact

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi.yaml"

blueprint = Blueprint("api", __name__, url_prefix="/api")


@functools.lru_cache(maxsize=1)
def openapi_document() -> Dict[str, Any]:
    """The description, read once per process (it only changes with a release)."""
    document = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise ValueError(f"{OPENAPI_FILE} is not an OpenAPI 3 document")
    return document


@blueprint.route("/openapi.json")
def openapi_json() -> Response:
    response = jsonify(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=3600"  # no personal data in it
    return response


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


@blueprint.route("/reports")
@login_required
def reports():
    page = queries.queue(request_session(), queries.QueueFilter.from_args(request.args))
    return jsonify(
        items=[report_summary(report) for report in page.items], total=page.total, page=page.page, pages=page.pages
    )


@blueprint.route("/reports/<int(min=1, max=2147483647):report_id>")
@login_required
def report(report_id: int):
    session = request_session()
    return jsonify(report_full(web.report_or_404(session, report_id), web.staff().role, session))
