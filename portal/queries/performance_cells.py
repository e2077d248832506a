"""Reading the service-performance summary tables (``portal.performance_models``).

Whole calendar months of a window are summed from the tables (a few thousand rows, not a
million appeals); a month the window only partly covers is counted from the appeals by
``portal.queries.performance_counts``. "Overdue now" is summed from the open appeals whose
deadline has passed at the time of the request, so it needs no write to stay exact.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AppealKind, City, Service
from portal.performance_cells import CELLS, KINDS, OPEN, decode_histogram
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


def month_cells(
    months: list[date], city: str | None, service: str | None, now: datetime
) -> list[tuple[tuple, list[int], dict[int, int]]]:
    """Problems of whole ``months``: (city, service, category, district, month), the sums
    of ``performance_counts.fold`` (received, answered, on time, deadline known, overdue,
    reopened, solved, partly, score 1…5) and the histogram of working days."""
    if not months:
        return []
    columns = [CELLS.c[name] for name in (*CELL_KEY, *CELL_SUMS)]
    query = select(*columns, CELLS.c.workdays).where(CELLS.c.month.in_(months))
    out = []
    found: dict[tuple, list[int]] = {}
    for row in db.session.execute(_in_place(query, CELLS, city, service)):
        city_id, service_id, category_id, district_id, month = row[:5]
        received, answered, on_time, known, *rest = row[5:17]
        key = (city_id, service_id, category_id, _district(district_id), month)
        sums = [received, answered, on_time, known, 0, *rest]
        found[key] = sums
        out.append((key, sums, decode_histogram(row[17])))
    grain = [OPEN.c[name] for name in CELL_KEY]
    overdue = (
        select(*grain, func.sum(OPEN.c.open), func.sum(OPEN.c.open_unknown))
        .where(OPEN.c.kind == AppealKind.PROBLEM.value, OPEN.c.month.in_(months))
        .where(OPEN.c.due_at < now)
        .group_by(*grain)
    )
    for *key, count, unknown in db.session.execute(_in_place(overdue, OPEN, city, service)):
        key[3] = _district(key[3])
        sums = found.get(tuple(key))
        if sums is None:  # cannot happen while the tables agree; counted all the same
            sums = found[tuple(key)] = [0] * 13
            out.append((tuple(key), sums, {}))
        sums[3] += unknown
        sums[4] += count
    return out


def counts_by(name: str) -> bool:
    """Whether ``performance_kinds`` counts appeals per value of the public field ``name``."""
    return name in KINDS.c and name in OPEN.c


def figures_by_value(
    name: str, months: list[date], city: str | None, service: str | None, now: datetime
) -> dict[str, list[int]]:
    """Public appeals of whole ``months`` per value of ``kind`` or ``channel``: received,
    answered, answered on time, deadline known."""
    out: dict[str, list[int]] = {}
    if not months:
        return out
    column = KINDS.c[name]
    sums = (func.sum(KINDS.c[n]) for n in KIND_SUMS)
    query = select(column, *sums).where(KINDS.c.month.in_(months)).group_by(column)
    for value, *row in db.session.execute(_in_place(query, KINDS, city, service)):
        out[str(value)] = list(row)
    overdue = (
        select(OPEN.c[name], func.sum(OPEN.c.open_unknown))
        .where(OPEN.c.month.in_(months), OPEN.c.due_at < now)
        .group_by(OPEN.c[name])
    )
    for value, unknown in db.session.execute(_in_place(overdue, OPEN, city, service)):
        out.setdefault(str(value), [0, 0, 0, 0])[3] += unknown
    return out


def _district(district_id: int) -> int | None:
    return None if district_id == NO_DISTRICT else district_id
