"""Who may see a reporter's contact details, and masking of personal data for reviewers."""

from __future__ import annotations

from typing import Optional

from bot.storage.models import Report

HIDDEN_CONTACT = "[contact hidden]"


def can_see_contact(role: str, report: Report) -> bool:
    """Anonymous reports show no contact to anyone; otherwise admins always may, reviewers only
    when the reporter agreed to be contacted."""
    if report.anonymous or not report.reporter_contact:
        return False
    return role == "admin" or bool(report.consent_to_contact)


def mask(value: Optional[str]) -> str:
    """Enough to tell two values apart on a list, not enough to use them: "+62•••••••••90"."""
    if not value:
        return ""
    if len(value) <= 4:
        return "•" * len(value)
    return value[:3] + "•" * (len(value) - 5) + value[-2:]


def hide_contact(text: str, report: Report, role: str) -> str:
    """The reporter may have typed their contact into the chat; hide it where the field is hidden."""
    if not report.reporter_contact or can_see_contact(role, report):
        return text
    return text.replace(report.reporter_contact, HIDDEN_CONTACT)
