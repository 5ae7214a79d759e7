"""Status rules (pure) and the changes reviewers make, each leaving an audit event."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.storage.db import transaction
from bot.storage.models import Report, ReportEvent
from bot.storage.reports import Requester, StatusLimits, check_status
from console import workflow
from console.workflow import WorkflowError, transition_problem
from tests.console import support
from tests.databases import PIN_KEY


@pytest.mark.parametrize(
    "current,target",
    [
        ("new", "in_review"),
        ("in_review", "resolved"),
        ("in_review", "dismissed"),
        ("escalated", "resolved"),
        ("dismissed", "in_review"),
        ("new", "escalated"),
    ],
)
def test_allowed_transitions(current: str, target: str) -> None:
    assert transition_problem(current, target, institution="KP2MI", reason="checked with the agency") is None


@pytest.mark.parametrize(
    "current,target",
    [
        ("new", "resolved"),
        ("resolved", "escalated"),
        ("escalated", "new"),
        ("in_review", "new"),
        ("new", "archived"),
    ],
)
def test_forbidden_transitions(current: str, target: str) -> None:
    assert transition_problem(current, target, institution="KP2MI", reason="why") is not None


def test_escalation_needs_a_known_institution() -> None:
    assert "institution" in transition_problem("in_review", "escalated", None, None)
    assert "institution" in transition_problem("in_review", "escalated", "FBI", None)
    assert transition_problem("in_review", "escalated", "KBRI Tokyo", None) is None


@pytest.mark.parametrize("target", ["resolved", "dismissed"])
def test_closing_needs_a_reason(target: str) -> None:
    assert "why" in transition_problem("in_review", target, None, "   ")
    assert transition_problem("in_review", target, None, "duplicate of an earlier report") is None


def _events(url: str, report_id: int):
    with transaction(url) as session:
        return (
            session.execute(select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id))
            .scalars()
            .all()
        )


@support.BOTH_DATABASES
def test_each_change_is_applied_and_audited_with_the_actor(database_url: str) -> None:
    report_id = support.add_report(database_url)
    with transaction(database_url) as session:
        report = session.get(Report, report_id)
        workflow.assign(session, report, support.REVIEWER[0], actor=support.ADMIN[0])
        workflow.change_status(session, report, "in_review", actor=support.REVIEWER[0])
        workflow.change_status(session, report, "escalated", actor=support.REVIEWER[0], institution="Polri")
        workflow.add_note(session, report, support.REVIEWER[0], "Called the Garut police desk.")
        workflow.change_status(session, report, "resolved", actor=support.REVIEWER[0], reason="Police opened a case.")
    with transaction(database_url) as session:
        report = session.get(Report, report_id)
        assert (report.status, report.escalated_to, report.assigned_to) == ("resolved", "Polri", support.REVIEWER[0])
        assert report.decision_reason == "Police opened a case."
    events = [(e.kind, e.actor, e.detail) for e in _events(database_url, report_id)]
    assert events[1:] == [
        ("assigned", support.ADMIN[0], {"from": "", "to": support.REVIEWER[0]}),
        ("status_changed", support.REVIEWER[0], {"from": "new", "to": "in_review"}),
        ("status_changed", support.REVIEWER[0], {"from": "in_review", "to": "escalated", "institution": "Polri"}),
        ("note", support.REVIEWER[0], {"note": "Called the Garut police desk."}),
        (
            "status_changed",
            support.REVIEWER[0],
            {"from": "escalated", "to": "resolved", "reason": "Police opened a case."},
        ),
    ]


@support.BOTH_DATABASES
def test_a_refused_change_leaves_the_report_and_trail_alone(database_url: str) -> None:
    report_id = support.add_report(database_url)
    with pytest.raises(WorkflowError):
        with transaction(database_url) as session:
            workflow.change_status(session, session.get(Report, report_id), "resolved", actor="x", reason="done")
    with pytest.raises(WorkflowError):
        with transaction(database_url) as session:
            workflow.assign(session, session.get(Report, report_id), "nobody-by-that-name", actor="x")
    with transaction(database_url) as session:
        assert session.get(Report, report_id).status == "new"
    assert [e.kind for e in _events(database_url, report_id)] == ["created"]


@support.BOTH_DATABASES
def test_message_to_the_reporter_is_shown_at_their_status_check(database_url: str) -> None:
    from bot.reports.draft import ReportDraft
    from bot.storage.reports import save_report

    with transaction(database_url) as session:
        report, pin = save_report(
            session,
            ReportDraft(what_happened="paspor ditahan"),
            "urgent",
            ["document_retention"],
            "rest",
            "u-1",
            "id",
            PIN_KEY,
        )
        workflow.message_reporter(session, report, support.REVIEWER[0], "Kami sudah menghubungi KBRI Tokyo.")
        code = report.case_code
    with transaction(database_url) as session:
        result = check_status(
            session, code, pin, Requester("u-1"), dt.datetime(2026, 12, 1), StatusLimits(5, 15, 100, 100), PIN_KEY
        )
    assert result.outcome == "ok"
    assert result.view.messages == ("Kami sudah menghubungi KBRI Tokyo.",)


@support.BOTH_DATABASES
def test_empty_note_is_refused(database_url: str) -> None:
    report_id = support.add_report(database_url)
    with pytest.raises(WorkflowError):
        with transaction(database_url) as session:
            workflow.add_note(session, session.get(Report, report_id), "x", "   ")
