"""Reading the service-performance summary tables (``portal.performance_models``).

Whole calendar months of a window are summed from the monthly tables (a few thousand rows,
not a million appeals); the days of a month the window only partly covers from the
per-day tables (``portal.queries.performance_counts.month_plan`` says which). "Overdue
now" is summed from the open appeals whose deadline has passed at the time of the
request, so it needs no write to stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from sqlalchemy import Integer, case, func, literal, select

from portal.extensions import db
from portal.models import AppealKind, City, Service
from portal.performance_cells import CELLS, DAYS, KIND_DAYS, KINDS, OPEN
from portal.performance_models import CELL_KEY, CELL_SUMS, KIND_SUMS


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
#: Columns of a line of figures (``Lines``): the finest key, the line's sign, then the sums
#: of ``performance_counts.fold`` (received, answered, on time, deadline known, overdue,
#: reopened, solved, partly, score 1…5).
KEY_WIDTH, SIGN = 5, 5


@dataclass
class Lines:
    """Figures at the finest grain, one line per summary-table row (several may share a
    key: one per month or day, one for the open appeals past their deadline):
    ``numbers`` an int64 matrix (city, service, category, district — NO_DISTRICT for
    none —, month index, sign, sums), ``workdays`` each line's histogram of working days
    as stored (JSON text, or None)."""

    numbers: np.ndarray
    workdays: list[str | None]

    @classmethod
    def join(cls, parts: list[Lines]) -> Lines:
        numbers = [p.numbers for p in parts if len(p.numbers)]
        return cls(
            np.concatenate(numbers) if numbers else np.zeros((0, SIGN + 14), dtype=np.int64),
            [text for p in parts for text in p.workdays],
        )


def window_cells(
    months: list[date], summed: list[int], ranges: list[DayRange], city: str | None,
    service: str | None, now: datetime,
) -> Lines:  # fmt: skip
    """Problems of the window's ``months`` taken whole (``summed``: their indices) from
    ``performance_cells``, and of the days of ``ranges`` from ``performance_days``."""
    parts = []
    if summed:
        index = {months[i]: i for i in summed}
        whole = list(index)

        def month_position(column):
            return case(*((column == month, i) for month, i in index.items()))

        parts += _cells(CELLS, "month", lambda c: c.in_(whole), month_position, 1,
                        city, service, now)  # fmt: skip
    for position, first, last, sign in ranges:
        parts += _cells(DAYS, "day", lambda c, a=first, b=last: c.between(a, b),
                        lambda _c, i=position: literal(i, Integer), sign, city, service,
                        now)  # fmt: skip
    return Lines.join(parts)


def _cells(table, period: str, within, position, sign, city, service, now) -> list[Lines]:
    """Rows of ``table`` whose ``period`` column (month or day) is ``within``, keyed by the
    ``position`` (SQL) of their period, with ``sign``; then their grain's open appeals past
    their deadline (``performance_open`` has both columns)."""
    grain = [table.c[name] for name in CELL_KEY[:4]]
    sums = [table.c[name] for name in CELL_SUMS]
    query = select(
        *grain, position(table.c[period]), literal(sign, Integer), *sums[:4],
        literal(0, Integer), *sums[4:], table.c.workdays,
    ).where(within(table.c[period]))  # fmt: skip
    rows = db.session.execute(_in_place(query, table, city, service)).all()
    found = Lines(_matrix([row[:-1] for row in rows]), [row[-1] for row in rows])
    grain = [OPEN.c[name] for name in CELL_KEY[:4]]
    zero = literal(0, Integer)
    overdue = (
        select(
            *grain,
            position(OPEN.c[period]),
            literal(sign, Integer),
            zero,
            zero,
            zero,
            func.sum(OPEN.c.open_unknown),
            func.sum(OPEN.c.open),
            *[zero] * 8,
        )  # fmt: skip
        .where(OPEN.c.kind == AppealKind.PROBLEM.value, within(OPEN.c[period]))
        .where(OPEN.c.due_at < now)
        .group_by(*grain, OPEN.c[period])
    )
    rows = [tuple(row) for row in db.session.execute(_in_place(overdue, OPEN, city, service))]
    return [found, Lines(_matrix(rows), [None] * len(rows))]


def _matrix(rows) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(len(rows), SIGN + 14)


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
