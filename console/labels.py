"""What staff read for the stored level and status values, in the page's language."""

from __future__ import annotations

from typing import Dict

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from bot.reports.status import ReportStatus

# Lazy: each page shows them in its own language (str() of one is the page's text).
LEVEL_LABELS: Dict[str, LazyString] = {
    "urgent": _l("Urgent"),
    "high": _l("High"),
    "medium": _l("Medium"),
    "low": _l("Low"),
}
STATUS_LABELS: Dict[str, LazyString] = {
    ReportStatus.NEW.value: _l("New"),
    ReportStatus.IN_REVIEW.value: _l("In review"),
    ReportStatus.ESCALATED.value: _l("Escalated"),
    ReportStatus.RESOLVED.value: _l("Resolved"),
    ReportStatus.DISMISSED.value: _l("Dismissed"),
}
