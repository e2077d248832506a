"""Service performance: counts in SQL, figures in ``opendata.stats``, results cached.

``portal.queries.performance_counts`` sums the summary tables kept current by every write
over the appeals received in the window (whole months and exact days) and rolls the
counts up into every grouping (service, category, district, month, service × month,
category × district); every figure is derived by
``opendata.stats`` (medians are exact: working days are small integers in a histogram).

Results are cached through Flask-Caching (Redis when PORTAL_REDIS_URL is set, else files
the workers of one machine share) under a key made of the window, the city, the *data
version* (the id of the newest status event, so that every new event — answer, rating,
reopening, extension, publication — invalidates) and the current date in Asia/Bishkek (deadlines end at 23:59:59 local time, so "overdue
now" can only change at midnight without an event). A short TTL bounds staleness anyway.
After a change, the previous figures are served while new ones are computed
(``portal.versioned_cache``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import orjson
from sqlalchemy import select

from opendata import stats
from opendata.stats import PerformanceRow
from portal.extensions import db
from portal.models import StatusEvent, utcnow
from portal.queries import performance_counts as counts
from portal.versioned_cache import current_or_previous, namespace
from portal.workdays import BISHKEK

CACHE_PREFIX = "portal:performance:v1"


@dataclass(frozen=True)
class DataVersion:
    """The newest status event: its id versions the cache, its time is "last update"."""

    event_id: int
    updated_at: datetime | None


@dataclass(frozen=True)
class PerformanceSet:
    """Every grouping of one window and city, as published (suppressed, ranked)."""

    window_start: date
    window_end: date
    city: str | None
    computed_at: datetime
    data_version: int
    updated_at: datetime | None
    groups: dict[str, list[PerformanceRow]]
    #: Where this result is cached; derived outputs (pages, JSON) extend it.
    cache_key: str = ""

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "window_start": self.window_start.isoformat(),
                "window_end": self.window_end.isoformat(),
                "city": self.city,
                "computed_at": self.computed_at.isoformat(),
                "data_version": self.data_version,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "groups": {g: [r.as_dict() for r in rows] for g, rows in self.groups.items()},
            }
        ).decode()

    @classmethod
    def from_json(cls, text: str, cache_key: str = "") -> PerformanceSet:
        data = orjson.loads(text)
        start, end = (
            date.fromisoformat(data["window_start"]),
            date.fromisoformat(data["window_end"]),
        )

        def row(values: dict) -> PerformanceRow:
            values.update(window_start=start, window_end=end)
            return PerformanceRow(**values)

        updated = data["updated_at"]
        return cls(
            start,
            end,
            data["city"],
            datetime.fromisoformat(data["computed_at"]),
            data["data_version"],
            datetime.fromisoformat(updated) if updated else None,
            {g: [row(v) for v in rows] for g, rows in data["groups"].items()},
            cache_key,
        )


# --- Public entry points -----------------------------------------------------------------


def performance_rows(
    group_by: str, window_start: date, window_end: date, city: str | None = None
) -> list[PerformanceRow]:
    """Published rows of one grouping (small cells suppressed, services ranked).

    ``group_by`` is one of ``opendata.stats.GROUPINGS``. Rows have ``suppressed=True`` and
    no figures when fewer than ``stats.MIN_CELL`` appeals were received.
    """
    if group_by not in stats.GROUPINGS:
        raise ValueError(f"unknown grouping {group_by!r}")
    return performance_set(window_start, window_end, city).groups[group_by]


def monthly_service_performance(
    window_start: date, window_end: date, city: str | None = None
) -> list[PerformanceRow]:
    """The "monthly service performance" dataset: one row per service and month."""
    return performance_rows("service_month", window_start, window_end, city)


def performance_set(
    window_start: date, window_end: date, city: str | None = None, service: str | None = None
) -> PerformanceSet:
    """Every grouping for a window, from the cache when the data has not changed; with
    ``service`` (a service code), every grouping counts that service's appeals only, and
    its row in the "service" grouping is the one of the whole window (same figures, and
    the rank it has among all services, not 1 of 1)."""
    if not service:
        return _performance_set(window_start, window_end, city)
    result = _performance_set(window_start, window_end, city, service)
    everyone = _performance_set(window_start, window_end, city)
    groups = dict(result.groups)
    groups["service"] = [row for row in everyone.groups["service"] if row.service == service]
    return replace(result, groups=groups)


def _performance_set(
    window_start: date, window_end: date, city: str | None = None, service: str | None = None
) -> PerformanceSet:
    """Every grouping for a window, from the cache when the data has not changed.

    When a new event has changed the data version (or a new day has begun: "overdue now"
    changes at midnight), the previous figures are returned at once and the new ones are
    computed in a background thread, one at a time per window and city
    (``portal.versioned_cache``): no request waits for the aggregate query except the
    first one for a window.
    """
    if window_start > window_end:
        raise ValueError("window_start is after window_end")
    place = city or "*"
    if service:
        place += f"/{service}"
    base = ":".join((namespace(CACHE_PREFIX), place, window_start.isoformat(),
                     window_end.isoformat()))  # fmt: skip

    def produce() -> str:
        return compute_performance_set(window_start, window_end, city, service=service).to_json()

    key, text = current_or_previous(base, _version_and_day, produce,
                                    thread_name="performance-refresh")  # fmt: skip
    return PerformanceSet.from_json(text, key)


def _version_and_day() -> str:
    """What the figures depend on: the newest event and today's date in Asia/Bishkek."""
    return f"{data_version().event_id}:{utcnow().astimezone(BISHKEK).date().isoformat()}"


def data_version() -> DataVersion:
    """The newest status event (one index lookup)."""
    row = db.session.execute(
        select(StatusEvent.id, StatusEvent.created_at).order_by(StatusEvent.id.desc()).limit(1)
    ).first()
    return DataVersion(row[0], row[1]) if row else DataVersion(0, None)


def compute_performance_set(
    window_start: date,
    window_end: date,
    city: str | None = None,
    *,
    version: DataVersion | None = None,
    now: datetime | None = None,
    service: str | None = None,
    from_appeals: bool = False,
) -> PerformanceSet:
    """Sum the summary tables over the window and build every grouping (``from_appeals``:
    count the appeals themselves instead, the slow recount the tables are checked
    against)."""
    now = now or utcnow()
    version = version or data_version()
    months = stats.month_starts(window_start, window_end)
    lines = counts.count_rows(
        window_start, window_end, city, months, now, service, from_appeals=from_appeals
    )
    groups = counts.fold(lines)
    names = counts.names()
    city_slug = city
    published: dict[str, list[PerformanceRow]] = {}
    for group_by in stats.GROUPINGS:
        rows = [
            stats.build_row(group_by, window_start, window_end,
                            counts.row_key(group_by, key, names, months, city_slug), cell)
            for key, cell in groups[group_by].items()
        ]  # fmt: skip
        rows.sort(key=counts.sort_key)
        if group_by == "service":
            rows = stats.rank_rows(rows)
        published[group_by] = rows
    return PerformanceSet(
        window_start, window_end, city, now, version.event_id, version.updated_at, published
    )


# --- Cache --------------------------------------------------------------------------------


def clear_cache() -> None:
    """Forget every cached result of this application (tests, benchmarks)."""
    from portal.extensions import cache

    cache.clear()
