"""A report's status: the one list of them, and which are open or closed.

Staff move a report through these in the console (console/workflow.py says where each may go);
the reporter sees the status's words from content/reports.yml when checking with code and PIN.
A status change alone tells the reporter nothing unprompted: only a staff message sends a notice
(bot/alerts/reporter_notices.py).
"""

from __future__ import annotations

import enum
from typing import Tuple


class ReportStatus(str, enum.Enum):
    NEW = "new"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"

    def __str__(self) -> str:
        return self.value


# As stored (the column holds the value), for queries and form choices.
REPORT_STATUSES: Tuple[str, ...] = tuple(status.value for status in ReportStatus)
# Staff still work on these: the queue's default view and the dashboard's open counts.
OPEN_STATUSES: Tuple[str, ...] = (ReportStatus.NEW.value, ReportStatus.IN_REVIEW.value, ReportStatus.ESCALATED.value)
# Finished: kept for the retention period, then anonymised.
CLOSED_STATUSES: Tuple[str, ...] = (ReportStatus.RESOLVED.value, ReportStatus.DISMISSED.value)
