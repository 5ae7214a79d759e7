"""Report and offer-check texts from content/reports.yml and content/risk_flags.yml, as plain replies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.recruitment.risk import FLAG_CODES, RiskAssessment
from bot.replies import BotMessage, Button
from bot.reports.answers import SKIPPED
from bot.reports.draft import FORM_SLOTS

# The offer-check reply explains at most this many flags in full (the rest by name), so one reply
# stays under about 1,500 characters on a phone screen.
MAX_FLAGS_IN_FULL = 2


@dataclass(frozen=True)
class ReportTexts:
    reports: Mapping[str, Any]
    flags: Mapping[str, Any]
    levels: Mapping[str, Any]
    verify_reminder: Mapping[str, str]

    def text(self, key: str, language: str, **values: Any) -> str:
        value = self.reports[key][language]
        return value.format(**values) if values else value


@lru_cache(maxsize=2)
def load_report_texts(content_dir: str) -> ReportTexts:
    folder = Path(content_dir)
    reports = yaml.safe_load((folder / "reports.yml").read_text(encoding="utf-8"))
    risk = yaml.safe_load((folder / "risk_flags.yml").read_text(encoding="utf-8"))
    missing = [code for code in FLAG_CODES if code not in risk["flags"]]
    if missing:
        raise ValueError(f"risk_flags.yml lacks explanations for {missing}")
    return ReportTexts(
        reports=reports, flags=risk["flags"], levels=risk["levels"], verify_reminder=risk["verify_reminder"]
    )


def offer_result(
    texts: ReportTexts, assessment: RiskAssessment, language: str, offer_report: bool = True, brief: bool = False
) -> List[BotMessage]:
    """Each red flag with the rule it breaks and what to do, the overall level, and (unless the
    user is already reporting) the offer to report it. ``brief``: the flags only, for a reply
    that already gave the emergency contacts and the verify advice."""
    lines = [texts.reports["offer_result_header"][assessment.level][language]]
    if not brief:
        lines.append(texts.levels[assessment.level][language])
    for code in assessment.flags[:MAX_FLAGS_IN_FULL]:
        flag = texts.flags[code]
        lines.append(
            f"• {flag['title'][language]}: {flag['explanation'][language]} {flag['rule'][language]} "
            f"{flag['advice'][language]}"
        )
    if len(assessment.flags) > MAX_FLAGS_IN_FULL:
        more = ", ".join(texts.flags[c]["title"][language] for c in assessment.flags[MAX_FLAGS_IN_FULL:])
        lines.append(("• Juga: " if language == "id" else "• Also: ") + more)
    for agency in assessment.agencies:
        lines.append(f"• {agency.name} {texts.reports['agency_status'][agency.status][language]}.")
    if not brief:
        lines.append(texts.verify_reminder[language])
    messages = [BotMessage(text="\n".join(lines), custom=assessment.payload())]
    if offer_report and assessment.level in ("high", "urgent"):
        messages.append(
            BotMessage(
                text=texts.text("offer_report_question", language),
                buttons=(
                    Button(texts.text("button_report", language), "/report_recruiter"),
                    Button(texts.text("button_no_thanks", language), "/deny"),
                ),
            )
        )
    return messages


def _display(texts: ReportTexts, slot: str, value: Any, language: str) -> str:
    if value in (None, ""):
        return ""
    if value == SKIPPED:
        return texts.text("skipped", language)
    if isinstance(value, bool):
        return texts.reports["choices"]["yes_no"]["/affirm" if value else "/deny"][language]
    choices = texts.reports["choices"].get(slot)
    if choices and value in choices:
        return choices[value][language]
    text = str(value)
    return text if len(text) <= 160 else text[:157] + "…"


def summary(texts: ReportTexts, slots: Mapping[str, Any], language: str) -> BotMessage:
    """The report as it will be saved, with buttons to send it, change a part or cancel."""
    lines = [texts.text("summary_header", language)]
    editable: List[str] = []
    for slot in FORM_SLOTS:
        shown = _display(texts, slot, slots.get(slot), language)
        if shown:
            lines.append(f"• {texts.reports['summary_labels'][slot][language]}: {shown}")
            editable.append(slot)
    lines.append(texts.text("summary_question", language))
    buttons = [Button(texts.text("button_send", language), "send")]
    prefix = texts.text("button_edit_prefix", language)
    for slot in editable[:7]:
        buttons.append(Button(f"{prefix}{texts.reports['summary_labels'][slot][language]}", f"edit {slot}"))
    buttons.append(Button(texts.text("button_cancel", language), "/cancel"))
    return BotMessage(text="\n".join(lines), buttons=tuple(buttons))


def status_label(texts: ReportTexts, status: str, escalated_to: Optional[str], language: str) -> str:
    label = texts.reports["status_labels"][status][language]
    return label.format(institution=escalated_to or "-")


def edit_target(text: str, slots: Sequence[str]) -> Optional[str]:
    """The slot named by an "edit <slot>" button payload."""
    parts = (text or "").strip().split()
    if len(parts) == 2 and parts[0] == "edit" and parts[1] in slots:
        return parts[1]
    return None
