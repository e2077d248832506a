"""Counting appeals for the service-performance figures: SQL and roll-ups.

One GROUP BY per calendar month of the window (a range on ``submitted_at``, covered by
the index ``ix_appeals_performance``) returns counts at the finest grain (city, service,
category, district, working days to first answer); ``fold`` rolls them up into every
grouping as ``opendata.stats.Counts``. Public columns only. Per-month counts can be kept
between runs: then only the months touched by newer status events are counted again.
"""

from __future__ import annotations

import bisect
import operator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select

from opendata import stats
from opendata.schema import APPEALS, PERFORMANCE_BREAKDOWNS
from opendata.stats import Counts, PerformanceRow
from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Appeal,
    AppealKind,
    Category,
    City,
    District,
    Service,
    Solved,
    StatusEvent,
    utcnow,
)
from portal.queries import performance_cells as cells
from portal.queries.record import APPEAL
from portal.workdays import BISHKEK

_SUM_FIELDS = ("received", "answered", "on_time", "deadline_known", "overdue_open",
               "reopened", "solved_yes", "solved_partly")  # fmt: skip


def local_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Asia/Bishkek (an aware instant)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=BISHKEK)


def count_rows(window_start, window_end, city, months, now, version_id=0, state=None, service=None):
    """(rows, cells) for ``fold``: the window's months summed from the summary tables
    (cells), corrected by counts from the appeals (rows per city, service, category,
    district, month index, working days) for the months it covers only in part.

    A month covered in part is counted from the appeals (one GROUP BY on a range of
    submitted_at), or — when that part is the larger one — taken from the cells minus the
    rest of the month (often nothing: the days after today). With ``state`` from an
    earlier run, months no newer event touched are taken from it instead.
    """
    bounds = window_bounds(window_start, window_end, months)
    count = len(months)
    summed_months, live = month_plan(months, bounds)
    per_month: list = [[] for _ in range(count)]
    todo = {index for index, *_ in live}
    if state and state.get("months") and len(state["months"]) == count:
        edges = [local_start(m) for m in months] + [local_start(_next_month(months[-1]))]
        touched = months_touched_since(state["version"], edges)
        if touched is not None:
            per_month, todo = list(state["months"]), todo & touched
    query = count_query(now, city, service)
    for index in todo:
        per_month[index] = []
    for index, begin, end, sign in live:
        if index in todo:
            for row in db.session.execute(query, {"begin": begin, "end": end}):
                per_month[index].append([*row[:5], *(sign * n for n in row[5:])])
    if state is not None:
        state.update(version=version_id, months=per_month)
    rows = [
        (row[0], row[1], row[2], row[3], index, *row[4:])
        for index, month_rows in enumerate(per_month)
        for row in month_rows
    ]
    summed = cells.month_cells([months[i] for i in summed_months], city, service, now)
    position = {month: index for index, month in enumerate(months)}
    return rows, [((*key[:4], position[key[4]]), sums, days) for key, sums, days in summed]


def month_plan(months: list[date], bounds: list[datetime]) -> tuple[list[int], list[tuple]]:
    """Which months to take from the summary tables (their indices), and which ranges to
    count from the appeals: (month index, begin, end, +1 to add or -1 to subtract)."""
    summed, live = [], []
    for index, month in enumerate(months):
        start, stop = local_start(month), local_start(_next_month(month))
        begin, end = bounds[index], bounds[index + 1]
        if (begin, end) == (start, stop):
            summed.append(index)
        elif 2 * (end - begin) > stop - start:
            summed.append(index)
            live += [(index, a, b, -1) for a, b in ((start, begin), (end, stop)) if a < b]
        else:
            live.append((index, begin, end, 1))
    return summed, live


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def window_bounds(window_start: date, window_end: date, months: list[date]) -> list[datetime]:
    """The instants where the window's months begin, and where the window ends."""
    bounds = [local_start(window_start)]
    bounds += [local_start(m) for m in months[1:]]
    bounds.append(local_start(window_end + timedelta(days=1)))
    return bounds


#: Events re-checked before the last computed version (transactions commit out of order).
EVENT_ID_SLACK = 1000
#: Above this many newer events, counting every month again is cheaper than finding them.
INCREMENTAL_MAX_EVENTS = 20_000


def months_touched_since(version_id: int, bounds: list[datetime]) -> set[int] | None:
    """Indices of the window's months holding appeals with events newer than the version
    (minus a slack), or None when there are too many to be worth it."""
    since = version_id - EVENT_ID_SLACK
    newer = db.session.scalar(select(func.count()).where(StatusEvent.id > since))
    if newer > INCREMENTAL_MAX_EVENTS:
        return None
    submitted = db.session.scalars(
        select(Appeal.submitted_at)
        .join(StatusEvent, StatusEvent.appeal_id == Appeal.id)
        .where(StatusEvent.id > since, Appeal.submitted_at >= bounds[0])
        .where(Appeal.submitted_at < bounds[-1])
        .distinct()
    )
    return {bisect.bisect_right(bounds, moment) - 1 for moment in submitted}


def _in_place(query, city: str | None, service: str | None = None):
    """``query`` restricted to one city and/or one service (public codes)."""
    if city:
        query = query.where(
            Appeal.city_id == select(City.id).where(City.slug == city).scalar_subquery()
        )
    if service:
        query = query.where(
            Appeal.service_id == select(Service.id).where(Service.code == service).scalar_subquery()
        )
    return query


def count_query(now: datetime, city: str | None, service: str | None = None):
    answered = Appeal.first_answer_at.is_not(None)
    overdue = and_(Appeal.status.in_(OPEN_STATUSES), Appeal.due_at < now)
    deadline_known = or_(
        Appeal.answered_on_time.is_not(None), and_(Appeal.first_answer_at.is_(None), overdue)
    )

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    submitted = Appeal.__table__.c.submitted_at
    query = (
        select(
            Appeal.city_id,
            Appeal.service_id,
            Appeal.category_id,
            Appeal.district_id,
            Appeal.first_answer_workdays,
            func.count(),
            count_if(answered),
            count_if(Appeal.answered_on_time.is_(True)),
            count_if(deadline_known),
            count_if(overdue),
            count_if(Appeal.reopen_count > 0),
            count_if(Appeal.last_solved == Solved.YES),
            count_if(Appeal.last_solved == Solved.PARTLY),
            *[count_if(Appeal.last_score == score) for score in range(1, 6)],
        )
        .where(
            # lower() keeps the planner off the status index: the window (submitted_at)
            # is the selective condition; statuses are lower-case codes already.
            func.lower(Appeal.status).in_([s.value for s in PUBLIC_STATUSES]),
            submitted >= bindparam("begin", type_=submitted.type),
            submitted < bindparam("end", type_=submitted.type),
            # Services are ranked on problems only: proposals and questions are not the
            # same work (they are counted per kind by figures_by("kind")).
            Appeal.kind == AppealKind.PROBLEM,
        )
        .group_by(
            Appeal.city_id,
            Appeal.service_id,
            Appeal.category_id,
            Appeal.district_id,
            Appeal.first_answer_workdays,
        )
    )
    return _in_place(query, city, service)


def fold(rows, cells=()) -> dict[str, dict[tuple, Counts]]:
    """Roll the finest-grain counts up into every grouping: ``rows`` counted from the
    appeals (one per number of working days), ``cells`` from the summary tables
    (key, sums, histogram of working days).

    Each group is one list: the sums, then the histogram by working days (index = days),
    so groups add up with one ``map``. The finest cells roll up into service × month and
    category × district, and those into the four coarser groupings.
    """
    finest: dict[tuple, list] = {}
    for city_id, service_id, category_id, district_id, month, days, *sums in rows:
        key = (city_id, service_id, category_id, district_id, month)
        _merge(finest, key, _dense(sums, {days: sums[1]} if days is not None else None))
    for key, sums, days in cells:
        _merge(finest, key, _dense(sums, days))
    service_month: dict[tuple, list] = {}
    category_district: dict[tuple, list] = {}
    for (city_id, service_id, category_id, district_id, month), values in finest.items():
        if values[0]:  # a grain whose appeals were all subtracted (month_plan) is no group
            _merge(service_month, (city_id, service_id, month), values)
            _merge(category_district, (city_id, category_id, district_id), values)
    service: dict[tuple, list] = {}
    by_month: dict[tuple, list] = {}
    for (city_id, service_id, month), values in service_month.items():
        _merge(service, (city_id, service_id), values)
        _merge(by_month, (month,), values)
    category: dict[tuple, list] = {}
    district: dict[tuple, list] = {}
    for (city_id, category_id, district_id), values in category_district.items():
        _merge(category, (city_id, category_id), values)
        _merge(district, (city_id, district_id), values)
    folded = {"service": service, "category": category, "district": district, "month": by_month,
              "service_month": service_month, "category_district": category_district}  # fmt: skip
    return {g: {key: _counts(values) for key, values in folded[g].items()} for g in stats.GROUPINGS}


_WIDTH = len(_SUM_FIELDS) + 5  # the sums, then the five score counts


def _dense(sums, days: dict[int, int] | None) -> list[int]:
    """The sums followed by the histogram of working days as a list (index = days)."""
    values = list(sums)
    if days:
        histogram = [0] * (max(days) + 1)
        for value, count in days.items():
            histogram[value] += count
        values += histogram
    return values


def _merge(target: dict[tuple, list], key: tuple, values: list[int]) -> None:
    """Add ``values`` (see ``_dense``) into ``target[key]`` (lists are never changed in
    place, so one may be shared by several groups)."""
    acc = target.get(key)
    if acc is None:
        target[key] = values
        return
    if len(acc) != len(values):
        width = max(len(acc), len(values))
        acc, values = acc + [0] * (width - len(acc)), values + [0] * (width - len(values))
    target[key] = list(map(operator.add, acc, values))


def _counts(values: list[int]) -> Counts:
    return Counts(
        **dict(zip(_SUM_FIELDS, values[:8], strict=True)),
        workdays={days: n for days, n in enumerate(values[_WIDTH:]) if n},
        scores={s: n for s, n in zip(range(1, 6), values[8:_WIDTH], strict=True) if n},
    )


#: The tables of /performance per value of a public field (opendata.schema), by the name
#: the page and its JSON give them: "channels", "kinds"…
BREAKDOWNS = {f"{name}s": name for name in PERFORMANCE_BREAKDOWNS}


def figures_by(
    name: str, window_start: date, window_end: date, city: str | None, service: str | None = None
) -> list[dict]:
    """Published appeals received in the window per value of the public field ``name``:
    received, answered and the share answered within the deadline. Every allowed value of
    a field with a vocabulary (opendata.schema) in its order, else the values found, most
    first. A value with fewer than stats.MIN_CELL appeals is suppressed (every figure
    None), as every public cell."""
    spec = APPEALS.field(name)
    now = utcnow()
    months = stats.month_starts(window_start, window_end)
    bounds = window_bounds(window_start, window_end, months)
    summed, live = month_plan(months, bounds)
    if not cells.counts_by(name):  # a new breakdown without its summary column yet
        summed, live = [], [(0, bounds[0], bounds[-1], 1)]
    # Months from the summary tables, corrected by counts from the appeals (as count_rows).
    found = cells.figures_by_value(name, [months[i] for i in summed], city, service, now)
    query = _in_place(_figures_query(name, now), city, service)
    for _index, begin, end, sign in live:
        for value, *row in db.session.execute(query, {"begin": begin, "end": end}):
            sums = found.setdefault(str(value), [0, 0, 0, 0])
            found[str(value)] = [a + sign * b for a, b in zip(sums, row, strict=True)]
    found = {value: sums for value, sums in found.items() if sums[0]}
    values = spec.enum or sorted(found, key=lambda value: (-found[value][0], value))
    return [_figures(name, value, found.get(value)) for value in values]


def _figures_query(name: str, now: datetime):
    """Public appeals submitted in [:begin, :end) per value of the public field ``name``."""
    column = APPEAL.columns[name]
    submitted = Appeal.__table__.c.submitted_at
    answered = Appeal.first_answer_at.is_not(None)
    known = or_(
        Appeal.answered_on_time.is_not(None),
        and_(~answered, Appeal.status.in_(OPEN_STATUSES), Appeal.due_at < now),
    )

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    return (
        select(
            column,
            func.count(),
            count_if(answered),
            count_if(Appeal.answered_on_time.is_(True)),
            count_if(known),
        )  # fmt: skip
        .where(
            func.lower(Appeal.status).in_([s.value for s in PUBLIC_STATUSES]),
            submitted >= bindparam("begin", type_=submitted.type),
            submitted < bindparam("end", type_=submitted.type),
        )
        .group_by(column)
    )


def _figures(name: str, value: str, row) -> dict:
    received, answered, on_time, known = row or (0, 0, 0, 0)
    if received < stats.MIN_CELL:
        return {name: value, "received": None, "answered": None, "on_time_share": None}
    share = round(on_time / known, 3) if known else None
    return {name: value, "received": received, "answered": answered, "on_time_share": share}


@dataclass(frozen=True)
class _Names:
    cities: dict[int, str]
    services: dict[int, str]
    categories: dict[int, str]
    districts: dict[int, str]


def names() -> _Names:
    """Public codes of the reference rows (a few hundred at most)."""
    return _Names(
        dict(db.session.execute(select(City.id, City.slug)).all()),
        dict(db.session.execute(select(Service.id, Service.code)).all()),
        dict(db.session.execute(select(Category.id, Category.code)).all()),
        dict(db.session.execute(select(District.id, District.slug)).all()),
    )


def district_centres() -> dict[tuple[str, str], tuple[float, float]]:
    """(city, district) -> (lat, lon) of the district's centre (public reference data)."""
    query = select(City.slug, District.slug, District.center_lat, District.center_lon).join(
        City, City.id == District.city_id
    )
    return {(c, d): (lat, lon) for c, d, lat, lon in db.session.execute(query)}


def row_key(group_by: str, key: tuple, names: _Names, months: list[date], city: str | None) -> dict:
    if group_by == "month":
        return {"city": city, "month": months[key[0]].strftime("%Y-%m")}
    out: dict[str, Any] = {"city": names.cities[key[0]]}
    if group_by in ("service", "service_month"):
        out["service"] = names.services[key[1]]
    if group_by == "service_month":
        out["month"] = months[key[2]].strftime("%Y-%m")
    if group_by in ("category", "category_district"):
        out["category"] = names.categories[key[1]]
    if group_by == "district":
        out["district"] = names.districts.get(key[1])
    if group_by == "category_district":
        out["district"] = names.districts.get(key[2])
    return out


def sort_key(row: PerformanceRow) -> tuple:
    return tuple(
        (value is None, value or "")
        for value in (row.city, row.service, row.category, row.district, row.month)
    )
