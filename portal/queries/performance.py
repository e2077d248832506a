"""Service performance: counts in SQL, figures in ``opendata.stats``, results cached.

``portal.queries.performance_counts`` sums the summary tables kept current by every write
over the appeals received in the window (whole months and exact days) and rolls the
counts up into every grouping (service, category, district, month, service × month,
category × district); every figure is derived by
``opendata.stats`` (medians are exact: working days are small integers in a histogram).

Results are cached through Flask-Caching (Redis when PORTAL_REDIS_URL is set, else in this process) under a key
made of the window, the city, the *data version* (the id of the newest status event, so
that every new event — answer, rating, reopening, extension, publication — invalidates)
and the current date in Asia/Bishkek (deadlines end at 23:59:59 local time, so "overdue
now" can only change at midnight without an event). A short TTL bounds staleness anyway.
After a change, the previous figures are served while new ones are computed (see
``performance_set``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

import orjson
from flask import current_app
from sqlalchemy import select

from opendata import stats
from opendata.stats import PerformanceRow
from portal.extensions import db
from portal.models import StatusEvent, utcnow
from portal.queries import performance_counts as counts
from portal.workdays import BISHKEK

CACHE_TTL_SECONDS = 600
#: How long the previous figures may be served while new ones are computed.
LATEST_TTL_SECONDS = 24 * 3600
#: How long a computation may hold the single-flight lock (then another request may try).
COMPUTE_LOCK_SECONDS = 120
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
    computed in a background thread (one at a time per window and city): no request
    waits for the aggregate query except the first one for a window. Without background refresh (the default
    under TESTING, or PERFORMANCE_BACKGROUND_REFRESH=False) the request computes them
    itself, while concurrent requests get the previous figures (single flight).
    """
    if window_start > window_end:
        raise ValueError("window_start is after window_end")
    version = data_version()
    today = utcnow().astimezone(BISHKEK).date()
    place = city or "*"
    if service:
        place += f"/{service}"
    base = ":".join((_namespace(), place, window_start.isoformat(), window_end.isoformat()))
    key = f"{base}:{version.event_id}:{today.isoformat()}"
    cache = _cache()
    cached = cache.get(key)
    if cached is not None:
        return PerformanceSet.from_json(cached, key)
    lock = f"{base}:computing"
    latest = cache.get(f"{base}:latest")
    background = current_app.config.get("PERFORMANCE_BACKGROUND_REFRESH", not current_app.testing)
    if latest is not None and background:
        if cache.add(lock, "1", COMPUTE_LOCK_SECONDS):
            threading.Thread(
                target=_refresh_in_background,
                args=(
                    current_app._get_current_object(),
                    window_start,
                    window_end,
                    city,
                    base,
                    service,
                ),
                name="performance-refresh",
                daemon=True,
            ).start()
        return _from_latest(latest)
    if not cache.add(lock, "1", COMPUTE_LOCK_SECONDS) and latest is not None:
        return _from_latest(latest)
    try:
        return _compute_and_store(window_start, window_end, city, base, version, service)
    finally:
        cache.delete(lock)


def _from_latest(latest: str) -> PerformanceSet:
    key, _, text = latest.partition("\n")
    return PerformanceSet.from_json(text, key)


def _compute_and_store(
    window_start, window_end, city, base, version, service=None
) -> PerformanceSet:
    day = utcnow().astimezone(BISHKEK).date().isoformat()
    key = f"{base}:{version.event_id}:{day}"
    cache = _cache()
    result = compute_performance_set(window_start, window_end, city, version=version,
                                     service=service)  # fmt: skip
    text = result.to_json()
    cache.set(key, text, CACHE_TTL_SECONDS)
    cache.set(f"{base}:latest", f"{key}\n{text}", LATEST_TTL_SECONDS)
    return replace(result, cache_key=key)


def _refresh_in_background(app, window_start, window_end, city, base, service=None) -> None:
    """Compute the figures of the newest data version in a thread of its own."""
    with app.app_context():
        try:
            _compute_and_store(window_start, window_end, city, base, data_version(), service)
        except Exception:  # noqa: BLE001 - logged; the next request tries again
            app.logger.exception("performance figures: background refresh failed")
        finally:
            _cache().delete(f"{base}:computing")
            db.session.remove()


def cached_text(key: str, produce: Callable[[], str]) -> str:
    """A derived output (rendered figures, JSON) cached next to the figures it shows.

    ``key`` must start with a PerformanceSet's ``cache_key``, so it expires with it.
    """
    cache = _cache()
    text = cache.get(key)
    if text is None:
        text = produce()
        cache.set(key, text, CACHE_TTL_SECONDS)
    return text


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


def _namespace() -> str:
    """Key prefix: one database's figures never meet another's in a shared Redis (the test
    suite also gives each app its own RATELIMIT_KEY_PREFIX, reused here)."""
    uri = current_app.config.get("SQLALCHEMY_DATABASE_URI", "")
    digest = hashlib.sha1(uri.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{CACHE_PREFIX}:{digest}{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}"


def _cache():
    """The application's cache (Flask-Caching: Redis when configured, else this process)."""
    from portal.extensions import cache

    return cache


def clear_cache() -> None:
    """Forget every cached result of this application (tests, benchmarks)."""
    _cache().clear()
