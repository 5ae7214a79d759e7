"""Charts as inline SVG, drawn on the server: nothing is loaded from the internet, and the page
works without JavaScript. Every label is escaped; numbers are formatted by us. The words are in the
page's language (English outside a request)."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Mapping, Sequence, Tuple

from babel.dates import format_date
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

# Colour per risk level (most severe darkest), and a palette for other series.
LEVEL_COLOURS: Dict[str, str] = {"urgent": "#7f1d1d", "high": "#dc2626", "medium": "#f59e0b", "low": "#65a30d"}
PALETTE: Sequence[str] = (
    "#1d4ed8",
    "#0f766e",
    "#9333ea",
    "#c2410c",
    "#be185d",
    "#4d7c0f",
    "#0369a1",
    "#a16207",
    "#6d28d9",
    "#b91c1c",
    "#15803d",
    "#334155",
)

LEGEND_COLUMNS = 3
# A series' label: a str, or a lazy translation (console.labels.LEVEL_LABELS).
Labels = Mapping[str, object]


def series_colours(names: Sequence[str]) -> Dict[str, str]:
    return {name: LEVEL_COLOURS.get(name, PALETTE[index % len(PALETTE)]) for index, name in enumerate(names)}


def _day_month(day: dt.date) -> str:
    """ "05 Dec" in English, "05 Des" in Indonesian."""
    return format_date(day, "dd MMM", locale=get_locale() or "en")


def _nice_max(value: int) -> int:
    """An axis top at or above ``value`` that divides into four round steps (1, 2, 5, 10, 20, …)."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if step * 4 >= value:
                return step * 4
        magnitude *= 10


def stacked_weekly_bars(
    title: str,
    weeks: List[dt.date],
    series: Dict[str, List[int]],
    labels: Labels,
    width: int = 720,
    height: int = 260,
) -> Markup:
    """Columns per week, stacked by series, with a legend and an accessible title."""
    left, right, top, bottom = 40, 10, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[index] for values in series.values()) for index in range(len(weeks))]
    y_max = _nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(weeks))
    colours = series_colours(list(series))
    legend_height = 24 * ((len(series) + LEGEND_COLUMNS - 1) // LEGEND_COLUMNS)
    parts: List[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height + legend_height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for step in range(5):
        value = y_max * step // 4
        y = top + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value}</text>'
        )
    for index, monday in enumerate(weeks):
        x = left + slot * index + slot * 0.15
        y = top + plot_h
        for name, values in series.items():
            count = values[index]
            if count:
                bar_h = plot_h * count / y_max
                y -= bar_h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" '
                    f'fill="{colours[name]}"><title>'
                    + str(
                        escape(
                            gettext(
                                "%(series)s, week of %(week)s: %(count)s",
                                series=str(labels.get(name, name)),
                                week=monday.isoformat(),
                                count=count,
                            )
                        )
                    )
                    + "</title></rect>"
                )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="axis">'
            f"{escape(_day_month(monday))}</text>"
        )
    parts.extend(_legend(list(series), labels, colours, top + plot_h + 36, width))
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(names: List[str], labels: Labels, colours: Dict[str, str], y0: float, width: int) -> List[str]:
    parts: List[str] = []
    column_w = width / LEGEND_COLUMNS
    longest = int(column_w // 7) - 4  # about 7 px per character at the legend's font size
    for index, name in enumerate(names):
        x = 10 + column_w * (index % LEGEND_COLUMNS)
        y = y0 + 24 * (index // LEGEND_COLUMNS)
        label = str(labels.get(name, name))
        short = label if len(label) <= longest else label[: longest - 1] + "…"
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colours[name]}"/>'
            f'<text x="{x + 18:.1f}" y="{y:.1f}" class="legend"><title>{escape(label)}</title>'
            f"{escape(short)}</text>"
        )
    return parts


def horizontal_bars(title: str, rows: List[Tuple[str, int]], colour: str = "#1d4ed8", width: int = 720) -> Markup:
    """One bar per row (label, count), largest first as given."""
    if not rows:
        return Markup('<p class="muted">') + escape(gettext("No data yet.")) + Markup("</p>")
    label_w, row_h, right = 240, 26, 50
    height = row_h * len(rows) + 10
    largest = max(count for _, count in rows) or 1
    parts: List[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, (label, count) in enumerate(rows):
        y = 5 + row_h * index
        bar_w = (width - label_w - right) * count / largest
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="axis">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 8}" fill="{colour}">'
            f"<title>{escape(label)}: {count}</title></rect>"
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 17}" class="axis">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
