"""bot/reports/status.py: one list of report statuses, and everything keyed by status covers it."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.reports.status import CLOSED_STATUSES, OPEN_STATUSES, REPORT_STATUSES, ReportStatus
from bot.storage.models import Report
from console.labels import STATUS_LABELS
from console.workflow import NEEDS_REASON, TRANSITIONS

CONTENT = Path(__file__).resolve().parents[2] / "content" / "reports.yml"


def test_open_and_closed_split_the_statuses() -> None:
    assert (
        set(OPEN_STATUSES) | set(CLOSED_STATUSES) == set(REPORT_STATUSES) == {status.value for status in ReportStatus}
    )
    assert not set(OPEN_STATUSES) & set(CLOSED_STATUSES)
    assert ReportStatus("in_review") is ReportStatus.IN_REVIEW and str(ReportStatus.IN_REVIEW) == "in_review"
    assert ReportStatus.NEW == "new"  # compares with what the column holds


def test_every_status_has_its_words_its_label_and_its_way_on() -> None:
    labels = yaml.safe_load(CONTENT.read_text())["status_labels"]
    for status in REPORT_STATUSES:
        assert labels[status]["id"] and labels[status]["en"], status
        assert STATUS_LABELS[status]
        assert TRANSITIONS[status] and TRANSITIONS[status] <= set(REPORT_STATUSES), status
    assert set(labels) == set(STATUS_LABELS) == set(TRANSITIONS) == set(REPORT_STATUSES)
    assert NEEDS_REASON == set(CLOSED_STATUSES)


def test_a_new_report_starts_new() -> None:
    assert Report.__table__.c.status.default.arg == ReportStatus.NEW.value
