"""The queue: order, filters, search and pages; and the dashboard figures."""

from __future__ import annotations

import datetime as dt
from typing import List

from bot.storage.db import transaction
from console import queries
from console.queries import QueueFilter
from tests.console import support

DAY = dt.datetime(2026, 11, 2, 8, 0)  # a Monday


def _codes(url: str, **filter_values: object) -> List[str]:
    with transaction(url) as session:
        return [r.case_code for r in queries.queue(session, QueueFilter(**filter_values)).items]


@support.BOTH_DATABASES
def test_queue_is_most_severe_first_then_oldest_first(database_url: str) -> None:
    low = support.add_report(database_url, level="low", created_at=DAY)
    high_new = support.add_report(database_url, level="high", created_at=DAY + dt.timedelta(days=2))
    high_old = support.add_report(database_url, level="high", created_at=DAY + dt.timedelta(days=1))
    urgent = support.add_report(database_url, level="urgent", created_at=DAY + dt.timedelta(days=3))
    medium = support.add_report(database_url, level="medium", created_at=DAY)
    expected = [support.case_code(database_url, i) for i in (urgent, high_old, high_new, medium, low)]
    assert _codes(database_url) == expected


@support.BOTH_DATABASES
def test_filters_combine(database_url: str) -> None:
    garut = support.add_report(
        database_url,
        level="high",
        flags=["upfront_fee", "wrong_visa"],
        channel="whatsapp",
        location="Kab. Garut",
        created_at=DAY,
    )
    support.add_report(
        database_url,
        level="high",
        flags=["upfront_fee"],
        channel="telegram",
        location="Kota Bandung",
        created_at=DAY + dt.timedelta(days=10),
    )
    support.add_report(
        database_url,
        level="medium",
        flags=["excessive_fee"],
        channel="whatsapp",
        location="Garut",
        created_at=DAY + dt.timedelta(days=1),
    )
    code = support.case_code(database_url, garut)
    assert _codes(database_url, flag="wrong_visa") == [code]
    assert _codes(database_url, channel="whatsapp", level="high") == [code]
    assert len(_codes(database_url, area="garut")) == 2
    assert _codes(database_url, date_from=DAY.date(), date_to=DAY.date()) == [code]
    assert len(_codes(database_url, date_from=DAY.date() + dt.timedelta(days=1))) == 2


@support.BOTH_DATABASES
def test_status_filter_defaults_to_open_reports(database_url: str) -> None:
    open_id = support.add_report(database_url)
    closed_id = support.add_report(database_url)
    from bot.storage.models import Report

    with transaction(database_url) as session:
        session.get(Report, closed_id).status = "dismissed"
    assert _codes(database_url) == [support.case_code(database_url, open_id)]
    assert _codes(database_url, status="dismissed") == [support.case_code(database_url, closed_id)]
    assert len(_codes(database_url, status="all")) == 2


@support.BOTH_DATABASES
def test_search_by_case_code_name_and_phone_in_any_spelling(database_url: str) -> None:
    darto = support.add_report(database_url, recruiter_name="Pak Darto", recruiter_phone="+6281234567890")
    support.add_report(database_url, recruiter_name="Bu Sari", recruiter_phone="+6281311112222", location="Cianjur")
    code = support.case_code(database_url, darto)
    assert _codes(database_url, search="0812-3456-7890") == [code]
    assert _codes(database_url, search="+62 812 3456 7890") == [code]
    assert _codes(database_url, search="darto") == [code]
    assert _codes(database_url, search=code.lower().replace("-", " ")) == [code]
    assert _codes(database_url, search="100%_") == []  # LIKE wildcards are taken literally


@support.BOTH_DATABASES
def test_search_takes_like_wildcards_as_the_characters_typed(database_url: str) -> None:
    percent = support.add_report(database_url, recruiter_name="PT 100% Jaya")
    underscore = support.add_report(database_url, recruiter_name="agen_tki")
    support.add_report(database_url, recruiter_name="Pak Darto")
    assert _codes(database_url, search="%") == [support.case_code(database_url, percent)]
    assert _codes(database_url, search="_") == [support.case_code(database_url, underscore)]
    assert _codes(database_url, search="100% j") == [support.case_code(database_url, percent)]
    assert _codes(database_url, search="\\") == []


@support.BOTH_DATABASES
def test_pages(database_url: str) -> None:
    for day in range(5):
        support.add_report(database_url, created_at=DAY + dt.timedelta(days=day))
    with transaction(database_url) as session:
        first = queries.queue(session, QueueFilter(page=1), page_size=2)
        last = queries.queue(session, QueueFilter(page=3), page_size=2)
        beyond = queries.queue(session, QueueFilter(page=99), page_size=2)
    assert (first.total, first.pages, len(first.items), len(last.items)) == (5, 3, 2, 1)
    assert beyond.page == 3


def test_filter_from_query_parameters_ignores_nonsense() -> None:
    parsed = QueueFilter.from_args(
        {
            "status": "everything",
            "level": "urgent",
            "flag": "<x>",
            "from": "yesterday",
            "to": "2026-11-30",
            "page": "-4",
            "q": " Darto ",
        }
    )
    assert parsed == QueueFilter(status="open", level="urgent", date_to=dt.date(2026, 11, 30), search="Darto", page=1)


@support.BOTH_DATABASES
def test_linked_reports_are_the_other_reports_about_the_same_recruiter(database_url: str) -> None:
    first = support.add_report(database_url, recruiter_phone="+6281234567890")
    second = support.add_report(database_url, recruiter_phone="+6281234567890")
    other = support.add_report(database_url, recruiter_name="Bu Sari", recruiter_phone="+6281311112222")
    from bot.storage.models import Report

    with transaction(database_url) as session:
        assert [r.id for r in queries.linked_reports(session, session.get(Report, first))] == [second]
        assert queries.linked_reports(session, session.get(Report, other)) == []


@support.BOTH_DATABASES
def test_trends_count_per_week_area_and_repeat_recruiter(database_url: str) -> None:
    today = dt.date(2026, 11, 25)  # a Wednesday; its week starts on 23 Nov
    support.add_report(
        database_url,
        level="urgent",
        flags=["document_retention"],
        location="Garut",
        created_at=dt.datetime(2026, 11, 23, 9),
    )
    support.add_report(
        database_url,
        level="high",
        flags=["upfront_fee"],
        location="kab.  garut",
        created_at=dt.datetime(2026, 11, 16, 9),
    )
    support.add_report(
        database_url,
        level="high",
        flags=["upfront_fee"],
        location="Kab. Garut",
        recruiter_name="Bu Sari",
        recruiter_phone="+6281311112222",
        created_at=dt.datetime(2026, 11, 17, 9),
    )
    with transaction(database_url) as session:
        trends = queries.trends(session, today, weeks=4)
    assert trends.weeks[-1] == dt.date(2026, 11, 23) and len(trends.weeks) == 4
    assert trends.by_level["urgent"] == [0, 0, 0, 1]
    assert trends.by_level["high"] == [0, 0, 2, 0]
    assert trends.by_flag["upfront_fee"] == [0, 0, 2, 0]
    (top_name, top_count), second = trends.top_areas
    assert (top_name.lower(), top_count, second) == ("kab. garut", 2, ("Garut", 1))
    assert trends.repeat_recruiters == [("Pak Darto", 2)]


def test_a_day_in_the_filter_is_a_day_where_the_staff_are() -> None:
    from console.queries import day_after_utc, day_start_utc

    assert day_start_utc(dt.date(2026, 3, 5), "Asia/Jakarta") == dt.datetime(2026, 3, 4, 17, 0)
    assert day_start_utc(dt.date(2026, 3, 5), "Asia/Tokyo") == dt.datetime(2026, 3, 4, 15, 0)
    assert day_start_utc(dt.date(2026, 3, 5), "UTC") == dt.datetime(2026, 3, 5, 0, 0)
    assert day_start_utc(dt.date.min, "Asia/Jakarta") == dt.datetime.min  # would be before year 1
    assert day_after_utc(dt.date.max, "Asia/Jakarta") == dt.datetime.max
    assert day_after_utc(dt.date(2026, 3, 4), "Asia/Jakarta") == dt.datetime(2026, 3, 4, 17, 0)


@support.BOTH_DATABASES
def test_date_filters_use_the_consoles_time_zone(database_url: str) -> None:
    # 23:30 UTC on 4 March is 06:30 on 5 March in Jakarta, as the queue shows it.
    late = support.add_report(database_url, created_at=dt.datetime(2026, 3, 4, 23, 30))
    code = support.case_code(database_url, late)
    fifth = dt.date(2026, 3, 5)
    assert _codes(database_url, date_from=fifth, date_to=fifth, timezone="Asia/Jakarta") == [code]
    assert _codes(database_url, date_to=dt.date(2026, 3, 4), timezone="Asia/Jakarta") == []
    assert _codes(database_url, date_from=fifth, timezone="UTC") == []
