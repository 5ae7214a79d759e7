"""The text of a staff alert: enough to decide whether to open the case now, nothing personal.

Staff chats are read on phones and forwarded; the console (behind a sign-in) is where the details
live. So an alert carries only the case code, level, red flags, area and the reporter's safety,
plus the console link. ``AlertFacts`` holds exactly those fields: the reporter's contact, their
story, the recruiter's phone and the conversation id never reach the text builder at all.

When many alerts are due at once (a script filing reports, a backlog after an outage), the
notifier sends one batched alert instead (``batch_text``): counts per level and the first few
cases with the same fields (code, level, flag titles, console link), built from ``AlertFacts``
too, so the same privacy holds for it.

The text is Telegram HTML (sent with parse_mode HTML). Every value that came from a report is
escaped and set in ``<code>``, so it can neither inject markup nor become a clickable link or
mention in the staff chat; its whitespace is collapsed so it cannot forge extra lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Tuple

from bot.channels.render import RISK_MARKERS, telegram_escape
from bot.reports.texts import ReportTexts
from bot.storage.models import Report

# Telegram allows 4,096; an alert should be readable at a glance in a notification.
MAX_ALERT_CHARS = 1000
# Escaped length allowed for each area value (a place name is at most 120 characters as typed).
AREA_BUDGET = 120
LANGUAGE = "id"  # staff work in Indonesian
LEVEL_NAMES: Mapping[str, str] = {"urgent": "darurat", "high": "tinggi", "medium": "sedang", "low": "rendah"}
ABROAD = frozenset({"japan", "elsewhere"})
LEVEL_ORDER: Tuple[str, ...] = ("urgent", "high", "medium", "low")
# A batched alert lists several cases, so it may be longer than one alert; still far under 4,096.
MAX_BATCH_CHARS = 2000
# Cases a batched alert names; the others are counted, and the console's queue lists them all.
BATCH_SHOWN = 5
# Escaped length of one listed case's flag titles (about two titles, then "+n lainnya").
BATCH_FLAGS_BUDGET = 90


@dataclass(frozen=True)
class AlertFacts:
    """The report fields an alert may show, and nothing else."""

    report_id: int
    case_code: str
    risk_level: str
    flags: Tuple[str, ...] = ()
    location: Optional[str] = None
    recruiter_area: Optional[str] = None
    reporter_safe: Optional[bool] = None
    reporter_location: Optional[str] = None

    @classmethod
    def from_report(cls, report: Report) -> "AlertFacts":
        return cls(
            report_id=int(report.id),
            case_code=report.case_code,
            risk_level=report.risk_level,
            flags=tuple(str(code) for code in report.flags or ()),
            location=report.location,
            recruiter_area=report.recruiter.area if report.recruiter is not None else None,
            reporter_safe=report.reporter_safe,
            reporter_location=report.reporter_location,
        )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _same_place(a: str, b: str) -> bool:
    return _one_line(a).casefold() == _one_line(b).casefold()


def escaped_within(text: str, budget: int) -> str:
    """``text`` on one line, HTML-escaped, shortened (with "…") until the escaped form fits
    ``budget`` characters. Shortening happens before escaping so no entity is cut in half."""
    plain = _one_line(text)
    escaped = telegram_escape(plain)
    while len(escaped) > budget and plain:
        plain = plain[:-1].rstrip()
        escaped = telegram_escape(plain) + "…"
    return escaped


def flag_titles(texts: ReportTexts, flags: Sequence[str]) -> List[str]:
    """Each flag's Indonesian title; a code without a title (content lagging the rules) is shown
    as its words rather than hidden."""
    titles = []
    for code in flags:
        entry = texts.flags.get(code)
        titles.append(str(entry["title"][LANGUAGE]) if entry else code.replace("_", " "))
    return titles


def flags_line(titles: Sequence[str], budget: int, head: str = "Tanda bahaya: ") -> str:
    """ "Tanda bahaya: a; b; c", with as many titles as fit ``budget`` and a count of the rest."""
    if not titles:
        return ""
    shown: List[str] = []
    for index, title in enumerate(titles):
        rest = len(titles) - index - 1
        candidate = head + "; ".join(shown + [telegram_escape(title)]) + (f"; +{rest} lainnya" if rest else "")
        if len(candidate) > budget:
            break
        shown.append(telegram_escape(title))
    hidden = len(titles) - len(shown)
    if not shown:
        return f"{head}{len(titles)}" if head else f"{len(titles)} tanda bahaya"
    return head + "; ".join(shown) + (f"; +{hidden} lainnya" if hidden else "")


def area_line(location: Optional[str], recruiter_area: Optional[str]) -> str:
    """Where the recruiter operates as reported, and where the linked recruiter was recorded when
    that differs (earlier reports about the same person); empty when neither is known."""
    parts: List[str] = []
    if location and location.strip():
        parts.append(f"<code>{escaped_within(location, AREA_BUDGET)}</code>")
    if recruiter_area and recruiter_area.strip() and not (location and _same_place(location, recruiter_area)):
        known = f"<code>{escaped_within(recruiter_area, AREA_BUDGET)}</code>"
        parts.append(f"(perekrut tercatat di {known})" if parts else f"perekrut tercatat di {known}")
    return "Wilayah: " + " ".join(parts) if parts else ""


def reporter_lines(texts: ReportTexts, reporter_safe: Optional[bool], reporter_location: Optional[str]) -> List[str]:
    lines: List[str] = []
    if reporter_safe is False:
        lines.append("⚠️ pelapor merasa tidak aman")
    if reporter_location in ABROAD:
        choices = texts.reports.get("choices", {}).get("report_reporter_location", {})
        label = choices.get(reporter_location, {}).get(LANGUAGE, reporter_location)
        lines.append(f"📍 pelapor sedang di luar negeri ({telegram_escape(str(label))})")
    return lines


def console_link(console_base_url: str, report_id: int) -> str:
    return f"{console_base_url.rstrip('/')}/reports/{int(report_id)}"


def alert_text(facts: AlertFacts, texts: ReportTexts, console_base_url: str) -> str:
    """The staff alert for one report, as Telegram HTML of at most MAX_ALERT_CHARS characters."""
    marker = RISK_MARKERS.get(facts.risk_level, "❗")
    level_name = LEVEL_NAMES.get(facts.risk_level, "")
    level = telegram_escape(_one_line(facts.risk_level))
    lines = [
        f"{marker} <b>Laporan baru <code>{escaped_within(facts.case_code, 20)}</code></b>",
        f"Tingkat: {level_name} ({level})" if level_name else f"Tingkat: {level}",
    ]
    tail = [
        area_line(facts.location, facts.recruiter_area),
        *reporter_lines(texts, facts.reporter_safe, facts.reporter_location),
        f"Buka di konsol: {telegram_escape(console_link(console_base_url, facts.report_id))}",
    ]
    tail = [line for line in tail if line]
    # The flags get whatever room the other lines leave (each line also costs its newline).
    fixed = sum(len(line) + 1 for line in lines + tail)
    flags = flags_line(flag_titles(texts, facts.flags), MAX_ALERT_CHARS - fixed - 1)
    return "\n".join(lines + ([flags] if flags else []) + tail)


def level_counts_line(levels: Sequence[str]) -> str:
    """ "Darurat (urgent): 40 · Tinggi (high): 10", most serious first."""
    counts = Counter(levels)
    parts: List[str] = []
    for level in (*LEVEL_ORDER, *sorted(set(counts) - set(LEVEL_ORDER))):
        if counts.get(level):
            name = LEVEL_NAMES.get(level)
            code = telegram_escape(_one_line(level))[:20]
            parts.append(f"{name.capitalize()} ({code}): {counts[level]}" if name else f"{code}: {counts[level]}")
    return " · ".join(parts)


def batch_entry(facts: AlertFacts, texts: ReportTexts, console_base_url: str) -> str:
    """One case in a batched alert: marker, code, level, flag titles, then its console link."""
    marker = RISK_MARKERS.get(facts.risk_level, "❗")
    level = LEVEL_NAMES.get(facts.risk_level) or telegram_escape(_one_line(facts.risk_level))[:20]
    first = f"{marker} <code>{escaped_within(facts.case_code, 20)}</code> {level}"
    flags = flags_line(flag_titles(texts, facts.flags), BATCH_FLAGS_BUDGET, head="")
    if flags:
        first += f" · {flags}"
    return first + "\n" + telegram_escape(console_link(console_base_url, facts.report_id))


def batch_text(items: Sequence[AlertFacts], texts: ReportTexts, console_base_url: str) -> str:
    """One staff alert standing for several reports, as Telegram HTML of at most MAX_BATCH_CHARS.

    ``items`` come in the order to show them (the notifier puts urgent first, newest first); the
    first BATCH_SHOWN are named, fewer when a long console address would push the text over.
    """
    if not items:
        raise ValueError("a batched alert needs at least one report")
    marker = (
        RISK_MARKERS["urgent"]
        if any(f.risk_level == "urgent" for f in items)
        else RISK_MARKERS.get(items[0].risk_level, "❗")
    )
    queue = telegram_escape(console_base_url.rstrip("/") + "/")
    head = [
        f"{marker} <b>{len(items)} laporan baru (peringatan digabung)</b>",
        level_counts_line([f.risk_level for f in items]),
    ]
    text = ""
    for shown in range(min(BATCH_SHOWN, len(items)), -1, -1):
        rest = len(items) - shown
        lines = head + (["Terbaru, darurat dulu:"] if shown else [])
        lines += [batch_entry(f, texts, console_base_url) for f in items[:shown]]
        lines.append(f"+{rest} lainnya di konsol: {queue}" if rest else f"Semua di konsol: {queue}")
        text = "\n".join(lines)
        if len(text) <= MAX_BATCH_CHARS:
            break
    return text
