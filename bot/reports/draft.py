"""A report as the reporter gave it, before it is saved, and its summary for confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, List, Mapping, Optional, Sequence

from bot.reports.answers import SKIPPED

# The form asks in this order; these are also the Rasa slot names.
FORM_SLOTS: Sequence[str] = (
    "report_what_happened",
    "report_recruiter_name",
    "report_recruiter_kind",
    "report_recruiter_phone",
    "report_location",
    "report_money",
    "report_documents",
    "report_reporter_safe",
    "report_reporter_location",
    "report_consent_contact",
    "report_anonymous",
    "report_contact",
)
OPTIONAL_SLOTS = frozenset(
    {
        "report_recruiter_name",
        "report_recruiter_phone",
        "report_location",
        "report_money",
        "report_documents",
        "report_contact",
    }
)


def needs_contact(consent: Any, anonymous: Any) -> bool:
    """We only ask how to reach the reporter when they agreed to contact and are not anonymous."""
    return consent is True and anonymous is False


def required_slots(values: Mapping[str, Any]) -> List[str]:
    slots = list(FORM_SLOTS)
    if not needs_contact(values.get("report_consent_contact"), values.get("report_anonymous")):
        slots.remove("report_contact")
    return slots


def _given(value: Any) -> Any:
    return None if value in (None, SKIPPED, "") else value


@dataclass(frozen=True)
class ReportDraft:
    what_happened: str
    recruiter_name: Optional[str] = None
    recruiter_kind: Optional[str] = None
    recruiter_phone: Optional[str] = None
    location: Optional[str] = None
    money_text: Optional[str] = None
    money_idr: Optional[Decimal] = None
    documents_held: Optional[str] = None
    reporter_safe: Optional[bool] = None
    reporter_location: Optional[str] = None
    consent_to_contact: bool = False
    anonymous: bool = True
    reporter_contact: Optional[str] = None
    urgent: bool = False

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> "ReportDraft":
        money_idr = _given(slots.get("report_money_idr"))
        consent = slots.get("report_consent_contact") is True
        anonymous = slots.get("report_anonymous") is not False
        return cls(
            what_happened=str(slots.get("report_what_happened") or ""),
            recruiter_name=_given(slots.get("report_recruiter_name")),
            recruiter_kind=_given(slots.get("report_recruiter_kind")),
            recruiter_phone=_given(slots.get("report_recruiter_phone")),
            location=_given(slots.get("report_location")),
            money_text=_given(slots.get("report_money")),
            money_idr=Decimal(str(money_idr)) if money_idr is not None else None,
            documents_held=_given(slots.get("report_documents")),
            reporter_safe=slots.get("report_reporter_safe"),
            reporter_location=_given(slots.get("report_reporter_location")),
            consent_to_contact=consent,
            anonymous=anonymous,
            # Contact details are kept only with consent and when the reporter is not anonymous.
            reporter_contact=_given(slots.get("report_contact"))
            if needs_contact(consent, slots.get("report_anonymous"))
            else None,
            urgent=slots.get("report_urgent") is True or slots.get("report_reporter_safe") is False,
        )

    def assessment_text(self) -> str:
        """Everything the reporter wrote, for the risk rules."""
        parts = [self.what_happened, self.money_text or ""]
        if self.documents_held:
            # The form asks which originals are being held, so any answer means "held".
            parts.append(f"{self.documents_held} ditahan")
        if self.recruiter_kind == "individual":
            parts.append("calo")
        if self.recruiter_kind == "social_media":
            parts.append("cuma lewat medsos")
        return " . ".join(p for p in parts if p)
