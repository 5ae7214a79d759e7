"""One database session per console request (console/db.py): opened once, committed after the
view, rolled back when a rule refuses a step or the commit fails, and never a "saved" message for
something that was not saved."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.storage.db import transaction
from bot.storage.models import Report, ReportEvent
from console import db as console_db
from console import workflow
from tests.console import support
from tests.console.support import csrf_token


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _events(database_url: str, report_id: int) -> list:
    with transaction(database_url) as session:
        return list(session.scalars(select(ReportEvent.kind).where(ReportEvent.report_id == report_id)))


def test_a_page_opens_one_session_however_many_lookups_it_makes(
    admin, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = support.add_report(database_url)
    opened = []
    real_factory = console_db.session_factory

    def counting_factory(url: str):
        maker = real_factory(url)

        def open_session() -> Session:
            opened.append(url)
            return maker()

        return open_session

    monkeypatch.setattr(console_db, "session_factory", counting_factory)
    # The user loader, the report, its linked reports, audit trail and the assignee list.
    _page(admin, f"/reports/{report_id}")
    assert len(opened) == 1
    opened.clear()
    _page(admin, "/admin/tokens")  # used to open three transactions
    assert len(opened) == 1


def test_a_refused_workflow_step_leaves_nothing_behind(
    reviewer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = support.add_report(database_url)
    token = csrf_token(_page(reviewer, f"/reports/{report_id}"))

    def writes_then_refuses(session: Session, report: Report, actor: str, text: str) -> None:
        report.assigned_to = actor
        session.add(ReportEvent(report_id=report.id, kind="note", actor=actor, detail={"text": text}))
        session.flush()
        raise workflow.WorkflowError("Notes are closed on this report.")

    monkeypatch.setattr(workflow, "add_note", writes_then_refuses)
    response = reviewer.post(f"/reports/{report_id}/note", data={"csrf_token": token, "text": "Called the LPK"})
    assert response.status_code == 302
    html = _page(reviewer, f"/reports/{report_id}")
    assert "Notes are closed on this report." in html and "Note added" not in html
    with transaction(database_url) as session:
        assert session.get(Report, report_id).assigned_to is None
    assert "note" not in _events(database_url, report_id)


def test_a_failed_commit_is_an_error_page_not_a_saved_message(
    reviewer, app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = support.add_report(database_url)
    token = csrf_token(_page(reviewer, f"/reports/{report_id}"))

    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", failing_commit)
        response = reviewer.post(f"/reports/{report_id}/note", data={"csrf_token": token, "text": "Called the LPK"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "nothing was saved" in page and "Note added" not in page
    assert response.headers["X-Frame-Options"] == "DENY"  # the headers still go on the error page
    html = _page(reviewer, f"/reports/{report_id}")
    assert "Called the LPK" not in html and "Note added" not in html  # no flash left in the cookie
    assert "note" not in _events(database_url, report_id)


def test_a_failed_commit_on_the_api_answers_json(admin, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    response = admin.get("/api/reports")
    assert response.status_code == 503
    assert response.get_json() == {"error": "the database is not available; nothing was saved, try again"}
