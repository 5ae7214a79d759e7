"""Who sees contact details, the masked CSV export, and escaping in the SVG charts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from bot.storage.models import Report
from console.charts import horizontal_bars, stacked_weekly_bars
from console.export import reports_csv, safe_cell
from console.privacy import can_see_contact, hide_contact, mask
from tests.console.support import XSS

JAKARTA = ZoneInfo("Asia/Jakarta")


def _report(**values: object) -> Report:
    base = dict(
        id=1,
        case_code="K7QX-4M2P",
        status="new",
        risk_level="high",
        flags=["upfront_fee"],
        channel="whatsapp",
        created_at=dt.datetime(2026, 11, 20, 9),
        what_happened="DP 15 juta",
        recruiter_name="Pak Darto",
        recruiter_phone="+6281234567890",
        consent_to_contact=True,
        anonymous=False,
        reporter_contact="+6289876543210",
    )
    base.update(values)
    return Report(**base)


def test_contact_visibility_by_role_consent_and_anonymity() -> None:
    consenting, refusing = _report(), _report(consent_to_contact=False)
    anonymous = _report(anonymous=True, consent_to_contact=False)
    assert can_see_contact("reviewer", consenting) and can_see_contact("admin", consenting)
    assert not can_see_contact("reviewer", refusing) and can_see_contact("admin", refusing)
    assert not can_see_contact("admin", anonymous) and not can_see_contact("reviewer", anonymous)


def test_contact_typed_into_the_chat_is_hidden_where_the_field_is() -> None:
    refusing = _report(consent_to_contact=False)
    text = "hubungi saya di +6289876543210 ya"
    assert "+6289876543210" not in hide_contact(text, refusing, "reviewer")
    assert hide_contact(text, refusing, "admin") == text


def test_mask_keeps_only_the_ends() -> None:
    assert mask("+6281234567890") == "+62•••••••••90"
    assert mask("abc") == "•••" and mask(None) == ""


def _rows(text: str):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_masks_personal_data_for_reviewers_only() -> None:
    reports = [_report()]
    (reviewer_row,) = _rows(reports_csv(reports, "reviewer", JAKARTA))
    (admin_row,) = _rows(reports_csv(reports, "admin", JAKARTA))
    assert reviewer_row["recruiter_phone"] == "'" + mask("+6281234567890")
    assert reviewer_row["reporter_contact"] == "'" + mask("+6289876543210")
    assert admin_row["recruiter_phone"] == "'+6281234567890"
    assert admin_row["reporter_contact"] == "'+6289876543210"


def test_csv_times_are_in_the_console_zone_with_their_offset() -> None:
    late_evening_utc = _report(created_at=dt.datetime(2026, 12, 3, 20, 15, 0))
    (row,) = _rows(reports_csv([late_evening_utc], "reviewer", JAKARTA))
    # 20:15 UTC is 03:15 the next day in WIB: the date staff see in the console.
    assert row["created_at"] == "2026-12-04T03:15:00+07:00"
    (row,) = _rows(reports_csv([late_evening_utc], "reviewer", dt.timezone.utc))
    assert row["created_at"] == "2026-12-03T20:15:00+00:00"


def test_csv_cells_cannot_start_a_formula() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("Garut") == "Garut"
    (row,) = _rows(reports_csv([_report(what_happened="=cmd|' /C calc'!A0")], "admin", JAKARTA))
    assert row["what_happened"].startswith("'=")


def test_chart_labels_are_escaped() -> None:
    weeks = [dt.date(2026, 11, 16), dt.date(2026, 11, 23)]
    svg = str(stacked_weekly_bars(XSS, weeks, {"high": [1, 3]}, {"high": XSS}))
    bars = str(horizontal_bars("areas", [(XSS, 4), ("Garut", 2)]))
    for output in (svg, bars):
        assert "<script>" not in output and "&lt;script&gt;" in output
    assert svg.count("<rect") == 2 + 1  # two bars and one legend swatch
