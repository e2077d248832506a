"""Reading the service-performance summary tables (``portal.performance_models``).

Whole calendar months of a window are summed from the cells (a few thousand rows, not a
million appeals); a month the window only partly covers is counted from the appeals by
``portal.queries.performance_counts``. "Overdue now" is summed from the open appeals whose
deadline has passed at the time of the request, so it needs no write to stay exact.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AppealKind, City, Service
from portal.performance_cells import CELLS, OPEN
from portal.performance_models import CELL_SUMS, NO_DISTRICT, NOT_ANSWERED

_GRAIN = ("city_id", "service_id", "category_id", "district_id", "month")


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


def month_rows(
    months: list[date], city: str | None, service: str | None, now: datetime
) -> dict[date, list[list]]:
    """Problem appeals of whole ``months``, per month, in the row shape of
    ``performance_counts.count_query``: (city, service, category, district, working days,
    received, answered, on time, deadline known, overdue, reopened, solved, partly,
    score 1…5)."""
    out: dict[date, list[list]] = {month: [] for month in months}
    if not months:
        return out
    problem = AppealKind.PROBLEM.value
    grain = [CELLS.c[name] for name in _GRAIN]
    cells = (
        select(*grain, CELLS.c.workdays, *(func.sum(CELLS.c[name]) for name in CELL_SUMS))
        .where(CELLS.c.kind == problem, CELLS.c.month.in_(months))
        .group_by(*grain, CELLS.c.workdays)
    )
    for city_id, service_id, category_id, district_id, month, days, *sums in db.session.execute(
        _in_place(cells, CELLS, city, service)
    ):
        received, answered, on_time, known, reopened, yes, partly, *scores = sums
        out[month].append([
            city_id, service_id, category_id, _district(district_id),
            None if days == NOT_ANSWERED else days,
            received, answered, on_time, known, 0, reopened, yes, partly, *scores,
        ])  # fmt: skip
    grain = [OPEN.c[name] for name in _GRAIN]
    overdue = (
        select(*grain, func.sum(OPEN.c.open), func.sum(OPEN.c.open_unknown))
        .where(OPEN.c.kind == problem, OPEN.c.month.in_(months), OPEN.c.due_at < now)
        .group_by(*grain)
    )
    for city_id, service_id, category_id, district_id, month, count, unknown in db.session.execute(
        _in_place(overdue, OPEN, city, service)
    ):
        out[month].append([
            city_id, service_id, category_id, _district(district_id), None,
            0, 0, 0, unknown, count, 0, 0, 0, 0, 0, 0, 0, 0,
        ])  # fmt: skip
    return out


def figures_by_value(
    name: str, months: list[date], city: str | None, service: str | None, now: datetime
) -> dict[str, list[int]]:
    """Public appeals of whole ``months`` per value of ``kind`` or ``channel``: received,
    answered, answered on time, deadline known."""
    out: dict[str, list[int]] = {}
    if not months:
        return out
    column = CELLS.c[name]
    cells = (
        select(
            column, *(func.sum(CELLS.c[n]) for n in ("received", "answered", "on_time", "known"))
        )
        .where(CELLS.c.month.in_(months))
        .group_by(column)
    )
    for value, *sums in db.session.execute(_in_place(cells, CELLS, city, service)):
        out[str(value)] = list(sums)
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
