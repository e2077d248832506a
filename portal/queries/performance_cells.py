"""Reading the service-performance summary tables (``portal.performance_models``).

Whole calendar months of a window are summed from the monthly tables (a few thousand rows,
not a million appeals); the days of a month the window only partly covers from the
per-day tables (``portal.queries.performance_counts.month_plan`` says which). "Overdue
now" is summed from the open appeals whose deadline has passed at the time of the
request, so it needs no write to stay exact.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AppealKind, City, Service
from portal.performance_cells import CELLS, DAYS, KIND_DAYS, KINDS, OPEN, decode_histogram
from portal.performance_models import CELL_KEY, CELL_SUMS, KIND_SUMS, NO_DISTRICT


def _in_place(query, table, city: str | None, service: str | None):
    if city:
        query = query.where(
            table.c.city_id == select(City.id).where(City.slug == city).scalar_subquery()
        )
    if service:
        query = query.where(
            table.c.service_id
            == select(Service.id).where(Service.code == service).scalar_subquery()
        )
    return query


#: Days of a window read from the per-day tables: (month index, first day, last day, +1 to
#: add them or -1 to subtract them).
DayRange = tuple[int, date, date, int]
#: One grain's figures: (city, service, category, district, month index), the sums of
#: ``performance_counts.fold`` (received, answered, on time, deadline known, overdue,
#: reopened, solved, partly, score 1…5) and the histogram of working days.
Cell = tuple[tuple, list[int], dict[int, int]]


def window_cells(
    months: list[date], summed: list[int], ranges: list[DayRange], city: str | None,
    service: str | None, now: datetime,
) -> list[Cell]:  # fmt: skip
    """Problems of the window's ``months`` taken whole (``summed``: their indices) from
    ``performance_cells``, and of the days of ``ranges`` from ``performance_days``. A
    grain may come in several cells (one per month or day, and one for its open appeals
    past their deadline): ``fold`` adds them up."""
    out: list[Cell] = []
    if summed:
        index = {months[i]: i for i in summed}
        whole = list(index)
        out += _cells(CELLS, "month", lambda c: c.in_(whole), index.__getitem__, 1,
                      city, service, now)  # fmt: skip
    for position, first, last, sign in ranges:
        out += _cells(DAYS, "day", lambda c, a=first, b=last: c.between(a, b),
                      lambda _day, i=position: i, sign, city, service, now)  # fmt: skip
    return out


def _cells(table, period: str, within, position, sign, city, service, now) -> list[Cell]:
    """Rows of ``table`` whose ``period`` column (month or day) is ``within``, keyed by the
    ``position`` of their period, times ``sign``; then their grain's open appeals past
    their deadline (``performance_open`` has both columns)."""
    columns = [table.c[name] for name in (*CELL_KEY[:4], period, *CELL_SUMS)]
    query = select(*columns, table.c.workdays).where(within(table.c[period]))
    out: list[Cell] = []
    for row in db.session.execute(_in_place(query, table, city, service)):
        key = (row[0], row[1], row[2], _district(row[3]), position(row[4]))
        received, answered, on_time, known, *rest = row[5:17]
        sums = [received, answered, on_time, known, 0, *rest]
        days = decode_histogram(row[17])
        if sign != 1:
            sums, days = [sign * n for n in sums], {d: sign * n for d, n in days.items()}
        out.append((key, sums, days))
    grain = [OPEN.c[name] for name in CELL_KEY[:4]]
    overdue = (
        select(*grain, OPEN.c[period], func.sum(OPEN.c.open), func.sum(OPEN.c.open_unknown))
        .where(OPEN.c.kind == AppealKind.PROBLEM.value, within(OPEN.c[period]))
        .where(OPEN.c.due_at < now)
        .group_by(*grain, OPEN.c[period])
    )
    for *key, when, count, unknown in db.session.execute(_in_place(overdue, OPEN, city, service)):
        key = (*key[:3], _district(key[3]), position(when))
        out.append((key, [0, 0, 0, sign * unknown, sign * count] + [0] * 8, {}))
    return out


def counts_by(name: str) -> bool:
    """Whether ``performance_kinds`` and its per-day twin count appeals per value of the
    public field ``name``."""
    return name in KINDS.c and name in KIND_DAYS.c and name in OPEN.c


def figures_by_value(
    name: str, months: list[date], ranges: list[DayRange], city: str | None,
    service: str | None, now: datetime,
) -> dict[str, list[int]]:  # fmt: skip
    """Public appeals of whole ``months`` and of the days of ``ranges`` per value of
    ``kind`` or ``channel``: received, answered, answered on time, deadline known."""
    out: dict[str, list[int]] = {}
    spans = [(KINDS, "month", lambda c: c.in_(months), 1)] if months else []
    spans += [(KIND_DAYS, "day", lambda c, a=first, b=last: c.between(a, b), sign)
              for _, first, last, sign in ranges]  # fmt: skip
    for table, period, within, sign in spans:
        column = table.c[name]
        sums = (func.sum(table.c[n]) for n in KIND_SUMS)
        query = select(column, *sums).where(within(table.c[period])).group_by(column)
        for value, *row in db.session.execute(_in_place(query, table, city, service)):
            found = out.setdefault(str(value), [0, 0, 0, 0])
            out[str(value)] = [a + sign * b for a, b in zip(found, row, strict=True)]
        overdue = (
            select(OPEN.c[name], func.sum(OPEN.c.open_unknown))
            .where(within(OPEN.c[period]), OPEN.c.due_at < now)
            .group_by(OPEN.c[name])
        )
        for value, unknown in db.session.execute(_in_place(overdue, OPEN, city, service)):
            out.setdefault(str(value), [0, 0, 0, 0])[3] += sign * unknown
    return out


def _district(district_id: int) -> int | None:
    return None if district_id == NO_DISTRICT else district_id
