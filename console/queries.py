"""Reading reports for the console: the queue (filters, search, order, pages), one report with its
linked reports, and the figures behind the dashboard."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import pytz
from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.recruitment.phone import normalise_phone
from bot.recruitment.risk import FLAG_CODES, LEVELS
from bot.reports.codes import find_case_code
from bot.reports.status import OPEN_STATUSES, REPORT_STATUSES
from bot.storage.models import Recruiter, Report, ReportEvent

PAGE_SIZE = 25
# Statuses that still need someone's attention: the queue's default view.
STATUS_CHOICES: Tuple[str, ...] = ("open", "all") + REPORT_STATUSES
# Most severe first; the queue sorts by this, then oldest first.
LEVEL_ORDER: Tuple[str, ...] = tuple(reversed(LEVELS))
CHANNELS: Tuple[str, ...] = ("telegram", "whatsapp", "rest")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"
    level: str = ""
    flag: str = ""
    channel: str = ""
    area: str = ""
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    search: str = ""
    page: int = 1
    # The days of from/to are days in this zone (the one the pages show times in); stored times are UTC.
    timezone: str = "UTC"

    @classmethod
    def from_args(cls, args: Mapping[str, str], timezone: str = "UTC") -> "QueueFilter":
        """Read query parameters; values that are not valid choices are ignored, not errors."""
        status = args.get("status", "open")
        return cls(
            timezone=timezone,
            status=status if status in STATUS_CHOICES else "open",
            level=_choice(args.get("level", ""), LEVELS),
            flag=_choice(args.get("flag", ""), FLAG_CODES),
            channel=_choice(args.get("channel", ""), CHANNELS),
            area=_clean(args.get("area"))[:120],
            date_from=_date(args.get("from", "")),
            date_to=_date(args.get("to", "")),
            search=_clean(args.get("q"))[:200],
            page=max(1, _int(args.get("page", "1"))),
        )

    def query_args(self, **changes: object) -> Dict[str, str]:
        """This filter as query parameters (for links to other pages and the CSV export)."""
        values = {
            "status": self.status,
            "level": self.level,
            "flag": self.flag,
            "channel": self.channel,
            "area": self.area,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.search,
            "page": str(self.page),
        }
        values.update({key: str(value) for key, value in changes.items()})
        return {key: value for key, value in values.items() if value and not (key == "page" and value == "1")}


def _choice(value: str, choices: Sequence[str]) -> str:
    return value if value in choices else ""


def _clean(value: Optional[str]) -> str:
    """A search term without NUL (PostgreSQL refuses it in a query parameter)."""
    return (value or "").replace("\x00", "").strip()


# "to" is inclusive (the query adds a day): the last date that still has a next day.
_LAST_DATE = dt.date.max - dt.timedelta(days=1)


def _date(value: str) -> Optional[dt.date]:
    try:
        return min(dt.date.fromisoformat(value), _LAST_DATE) if value else None
    except ValueError:
        return None


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


def _contains(column: ColumnElement, text: str) -> ColumnElement:
    # autoescape: "%" and "_" in what staff typed are matched as themselves, not as wildcards.
    return func.lower(column).contains(text.lower(), autoescape=True)


def _search_condition(search: str) -> ColumnElement:
    """A case code, a recruiter's phone (any spelling) or part of a recruiter's name."""
    conditions: List[ColumnElement] = [_contains(Report.recruiter_name, search)]
    case_code = find_case_code(search)
    if case_code:
        conditions.append(Report.case_code == case_code)
    phone = normalise_phone(search)
    if phone:
        conditions.append(Report.recruiter_phone == phone)
        conditions.append(Report.recruiter_id.in_(select(Recruiter.id).where(Recruiter.phone_e164 == phone)))
    return or_(*conditions)


def _flag_condition(flag: str) -> ColumnElement:
    # flags is a JSON list; its text form holds each code in quotes on SQLite and PostgreSQL alike.
    # ``flag`` is one of FLAG_CODES (letters and "_"), escaped so "_" is not a wildcard.
    return cast(Report.flags, String).contains(f'"{flag}"', autoescape=True)


def day_start_utc(day: dt.date, timezone: str) -> dt.datetime:
    """Midnight of ``day`` in ``timezone`` as the naive UTC time the database stores: "from 5 March"
    on a page in Jakarta time starts at 4 March 17:00 UTC."""
    try:
        local = pytz.timezone(timezone).localize(dt.datetime.combine(day, dt.time()))
        return local.astimezone(pytz.utc).replace(tzinfo=None)
    except OverflowError:  # the first or last days a date can hold: no report is that old or new
        return dt.datetime.min if day.year == dt.MINYEAR else dt.datetime.max


def day_after_utc(day: dt.date, timezone: str) -> dt.datetime:
    """The end of ``day`` (the start of the next one) in ``timezone``, as naive UTC."""
    if day >= dt.date.max:
        return dt.datetime.max  # "to 9999-12-31": no upper bound
    return day_start_utc(day + dt.timedelta(days=1), timezone)


def filter_conditions(queue_filter: QueueFilter) -> List[ColumnElement]:
    conditions: List[ColumnElement] = []
    if queue_filter.status == "open":
        conditions.append(Report.status.in_(OPEN_STATUSES))
    elif queue_filter.status != "all":
        conditions.append(Report.status == queue_filter.status)
    if queue_filter.level:
        conditions.append(Report.risk_level == queue_filter.level)
    if queue_filter.flag:
        conditions.append(_flag_condition(queue_filter.flag))
    if queue_filter.channel:
        conditions.append(Report.channel == queue_filter.channel)
    if queue_filter.area:
        conditions.append(_contains(Report.location, queue_filter.area))
    if queue_filter.date_from:
        conditions.append(Report.created_at >= day_start_utc(queue_filter.date_from, queue_filter.timezone))
    if queue_filter.date_to:
        conditions.append(Report.created_at < day_after_utc(queue_filter.date_to, queue_filter.timezone))
    if queue_filter.search:
        conditions.append(_search_condition(queue_filter.search))
    return conditions


def _level_rank() -> ColumnElement:
    return case(
        {level: rank for rank, level in enumerate(LEVEL_ORDER)}, value=Report.risk_level, else_=len(LEVEL_ORDER)
    )


@dataclass(frozen=True)
class Page:
    items: List[Report]
    total: int
    page: int
    pages: int


def queue(session: Session, queue_filter: QueueFilter, page_size: int = PAGE_SIZE) -> Page:
    """Reports matching the filter: most severe level first, then oldest first."""
    where = and_(*filter_conditions(queue_filter))
    total = session.execute(select(func.count(Report.id)).where(where)).scalar_one()
    pages = max(1, math.ceil(total / page_size))
    page = min(queue_filter.page, pages)
    items = (
        session.execute(
            select(Report)
            .where(where)
            .order_by(_level_rank(), Report.created_at, Report.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        .scalars()
        .all()
    )
    return Page(items=list(items), total=total, page=page, pages=pages)


def all_matching(session: Session, queue_filter: QueueFilter) -> List[Report]:
    """Every report matching the filter, in queue order (for the CSV export)."""
    where = and_(*filter_conditions(queue_filter))
    return list(
        session.execute(select(Report).where(where).order_by(_level_rank(), Report.created_at, Report.id)).scalars()
    )


def get_report(session: Session, report_id: int) -> Optional[Report]:
    return session.get(Report, report_id)


def linked_reports(session: Session, report: Report) -> List[Report]:
    """Other reports about the same recruiter, newest first."""
    if report.recruiter_id is None:
        return []
    return list(
        session.execute(
            select(Report)
            .where(Report.recruiter_id == report.recruiter_id, Report.id != report.id)
            .order_by(Report.created_at.desc())
        ).scalars()
    )


def audit_trail(session: Session, report: Report) -> List[ReportEvent]:
    return list(
        session.execute(
            select(ReportEvent)
            .where(ReportEvent.report_id == report.id)
            .order_by(ReportEvent.created_at, ReportEvent.id)
        ).scalars()
    )


# --- dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trends:
    weeks: List[dt.date]  # Mondays, oldest first
    by_level: Dict[str, List[int]]  # level → count per week
    by_flag: Dict[str, List[int]]  # flag → count per week (only flags that occur)
    top_areas: List[Tuple[str, int]]
    repeat_recruiters: List[Tuple[str, int]]
    total: int = 0
    open_by_level: Dict[str, int] = field(default_factory=dict)


def week_start(moment: dt.datetime) -> dt.date:
    day = moment.date()
    return day - dt.timedelta(days=day.weekday())


def trends(session: Session, today: dt.date, weeks: int = 12, top: int = 10) -> Trends:
    first_week = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    mondays = [first_week + dt.timedelta(weeks=index) for index in range(weeks)]
    position = {monday: index for index, monday in enumerate(mondays)}
    rows = session.execute(
        select(Report.created_at, Report.risk_level, Report.flags).where(
            Report.created_at >= dt.datetime.combine(first_week, dt.time())
        )
    ).all()
    by_level: Dict[str, List[int]] = {level: [0] * weeks for level in LEVEL_ORDER}
    by_flag: Dict[str, List[int]] = {}
    for created_at, level, flags in rows:
        index = position.get(week_start(created_at))
        if index is None:
            continue  # a clock in the future; not worth a chart column
        by_level.setdefault(level, [0] * weeks)[index] += 1
        for flag in flags or []:
            by_flag.setdefault(flag, [0] * weeks)[index] += 1
    return Trends(
        weeks=mondays,
        by_level=by_level,
        by_flag=dict(sorted(by_flag.items(), key=lambda item: -sum(item[1]))),
        top_areas=top_areas(session, top),
        repeat_recruiters=repeat_recruiters(session, top),
        total=session.execute(select(func.count(Report.id))).scalar_one(),
        open_by_level=open_by_level(session),
    )


def top_areas(session: Session, limit: int) -> List[Tuple[str, int]]:
    """Areas named in most reports; spellings differing only in case or spaces count as one."""
    counts: Counter = Counter()
    names: Dict[str, str] = {}
    for location, count in session.execute(
        select(Report.location, func.count(Report.id)).where(Report.location.isnot(None)).group_by(Report.location)
    ):
        key = " ".join(location.split()).lower()
        if key:
            counts[key] += count
            names.setdefault(key, " ".join(location.split()))
    return [(names[key], count) for key, count in counts.most_common(limit)]


def repeat_recruiters(session: Session, limit: int) -> List[Tuple[str, int]]:
    """Recruiters named in two or more reports, most reported first."""
    count = func.count(Report.id)
    rows = session.execute(
        select(Recruiter.id, Recruiter.display_name, Recruiter.phone_e164, count)
        .join(Report, Report.recruiter_id == Recruiter.id)
        .group_by(Recruiter.id, Recruiter.display_name, Recruiter.phone_e164)
        .having(count >= 2)
        .order_by(count.desc(), Recruiter.id)
        .limit(limit)
    ).all()
    return [(name or phone or f"recruiter #{rid}", total) for rid, name, phone, total in rows]


def open_by_level(session: Session) -> Dict[str, int]:
    rows = session.execute(
        select(Report.risk_level, func.count(Report.id))
        .where(Report.status.in_(OPEN_STATUSES))
        .group_by(Report.risk_level)
    ).all()
    found = dict(rows)
    return {level: found.get(level, 0) for level in LEVEL_ORDER}
