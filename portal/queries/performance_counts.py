"""Counting appeals for the service-performance figures: summary tables and roll-ups.

The figures of a window are summed from the summary tables kept current by every write
(``portal.queries.performance_cells``: whole months from the monthly tables, the days of
months covered in part from the per-day ones), at the finest grain (city, service,
category, district, month); ``fold`` rolls them up into every grouping as
``opendata.stats.Counts``. The same counts from the appeals themselves (one GROUP BY per
month of the window, a range on ``submitted_at`` covered by ``ix_appeals_performance``)
are the recount the tables are checked against. Public columns only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import orjson
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
    utcnow,
)
from portal.performance_models import NO_DISTRICT
from portal.queries import performance_cells as cells
from portal.queries.record import APPEAL
from portal.workdays import BISHKEK

_SUM_FIELDS = ("received", "answered", "on_time", "deadline_known", "overdue_open",
               "reopened", "solved_yes", "solved_partly")  # fmt: skip


DAY = timedelta(days=1)


def local_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Asia/Bishkek (an aware instant)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=BISHKEK)


def count_rows(
    window_start, window_end, city, months, now, service=None, *, from_appeals=False
) -> cells.Lines:
    """The window's figures at the finest grain, for ``fold``: whole months from the
    monthly summary tables, the days of months it covers only in part from the per-day
    tables (``month_plan`` says which). With ``from_appeals`` every day of the window is
    counted from the appeals instead (the slow recount the tables are checked against)."""
    bounds = window_bounds(window_start, window_end, months)
    if not from_appeals:
        summed, ranges = month_plan(months, bounds)
        return cells.window_cells(months, summed, ranges, city, service, now)
    query = count_query(now, city, service)
    numbers, workdays = [], []
    for index in range(len(months)):
        span = {"begin": bounds[index], "end": bounds[index + 1]}
        for city_id, service_id, category_id, district_id, days, *sums in db.session.execute(
            query, span
        ):
            district = NO_DISTRICT if district_id is None else district_id
            numbers.append((city_id, service_id, category_id, district, index, 1, *sums))
            workdays.append(None if days is None else f'{{"{days}":{sums[1]}}}')
    matrix = np.array(numbers, dtype=np.int64).reshape(len(numbers), cells.SIGN + 14)
    return cells.Lines(matrix, workdays)


def month_plan(months: list[date], bounds: list[datetime]) -> tuple[list[int], list[tuple]]:
    """Which months to take whole from the monthly tables (their indices), and which days
    from the per-day tables: (month index, first day, last day, +1 to add or -1 to
    subtract). A month covered in part is its days, or — when that part is the larger
    one — the month minus the rest of it (often nothing: the days after today)."""
    summed, ranges = [], []
    for index, month in enumerate(months):
        start, stop = month, _next_month(month)
        begin, end = bounds[index].date(), bounds[index + 1].date()
        if (begin, end) == (start, stop):
            summed.append(index)
        elif 2 * (end - begin) > stop - start:
            summed.append(index)
            ranges += [(index, a, b - timedelta(days=1), -1)
                       for a, b in ((start, begin), (end, stop)) if a < b]  # fmt: skip
        else:
            ranges.append((index, begin, end - timedelta(days=1), 1))
    return summed, ranges


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def window_bounds(window_start: date, window_end: date, months: list[date]) -> list[datetime]:
    """The instants where the window's months begin, and where the window ends."""
    bounds = [local_start(window_start)]
    bounds += [local_start(m) for m in months[1:]]
    bounds.append(local_start(window_end + timedelta(days=1)))
    return bounds


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


#: Each grouping as the columns of the finest key (city, service, category, district,
#: month index) it keeps.
_GROUP_COLUMNS = {"service": (0, 1), "category": (0, 2), "district": (0, 3), "month": (4,),
                  "service_month": (0, 1, 4), "category_district": (0, 2, 3)}  # fmt: skip
_WIDTH = len(_SUM_FIELDS) + 5  # the sums, then the five score counts


def fold(lines: cells.Lines) -> dict[str, dict[tuple, Counts]]:
    """Roll the finest-grain figures up into every grouping.

    One matrix (numpy): a line per summary-table row, its sums times its sign, then its
    histogram of working days (column = _WIDTH + days). Lines are added up per finest
    key; a key whose appeals were all subtracted is no group; every grouping sums the
    finest keys it covers.
    """
    numbers, texts = lines.numbers, lines.workdays
    if not len(numbers):
        return {g: {} for g in stats.GROUPINGS}
    signs = numbers[:, cells.SIGN]
    stored = [i for i, text in enumerate(texts) if text and text != "{}"]
    histograms = orjson.loads("[" + ",".join(texts[i] for i in stored) + "]")
    at, days, count = [], [], []
    for line, histogram in zip(stored, histograms, strict=True):
        for value, n in histogram.items():
            at.append(line)
            days.append(int(value))
            count.append(n)
    matrix = np.zeros((len(numbers), _WIDTH + max(days, default=-1) + 1), dtype=np.int64)
    matrix[:, :_WIDTH] = numbers[:, cells.SIGN + 1 :] * signs[:, None]
    if at:
        matrix[at, _WIDTH + np.array(days)] = np.array(count) * signs[at]
    finest_keys, finest = _sum_by(numbers[:, : cells.KEY_WIDTH], matrix)
    kept = finest[:, 0] != 0
    finest_keys, finest = finest_keys[kept], finest[kept]
    out = {}
    for group_by in stats.GROUPINGS:
        columns = _GROUP_COLUMNS[group_by]
        group_keys, sums = _sum_by(finest_keys[:, columns], finest)
        out[group_by] = {
            tuple(None if c == 3 and v == NO_DISTRICT else v
                  for c, v in zip(columns, key, strict=True)): _counts(values)
            for key, values in zip(group_keys.tolist(), sums.tolist(), strict=True)
        }  # fmt: skip
    return out


def _sum_by(keys: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct lines of ``keys`` and the sum of the lines of ``matrix`` of each (keys
    coded as one integer per line, sorted, summed per run)."""
    if not len(keys):
        return keys, matrix
    code = np.zeros(len(keys), dtype=np.int64)
    for column in keys.T:
        values, inverse = np.unique(column, return_inverse=True)
        code = code * len(values) + inverse.reshape(-1)
    order = np.argsort(code, kind="stable")
    ordered = code[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return keys[order[starts]], np.add.reduceat(matrix[order], starts, axis=0)


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
    name: str, window_start: date, window_end: date, city: str | None, service: str | None = None,
    *, from_appeals: bool = False,
) -> list[dict]:  # fmt: skip
    """Published appeals received in the window per value of the public field ``name``:
    received, answered and the share answered within the deadline. Every allowed value of
    a field with a vocabulary (opendata.schema) in its order, else the values found, most
    first. A value with fewer than stats.MIN_CELL appeals is suppressed (every figure
    None), as every public cell. Summed from the summary tables as ``count_rows``; counted
    from the appeals with ``from_appeals`` or for a field they do not count by."""
    spec = APPEALS.field(name)
    now = utcnow()
    if from_appeals or not cells.counts_by(name):  # a new breakdown without its column yet
        found: dict[str, list[int]] = {}
        query = _in_place(_figures_query(name, now), city, service)
        bounds = {"begin": local_start(window_start), "end": local_start(window_end + DAY)}
        for value, *row in db.session.execute(query, bounds):
            found[str(value)] = row
    else:
        months = stats.month_starts(window_start, window_end)
        summed, ranges = month_plan(months, window_bounds(window_start, window_end, months))
        found = cells.figures_by_value(
            name, [months[i] for i in summed], ranges, city, service, now
        )
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
