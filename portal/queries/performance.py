"""Service performance: counts in SQL, figures in ``opendata.stats``, results cached.

Aggregate queries (one GROUP BY per calendar month of the window) scan the appeals
received in the window once and return counts at the finest grain (city, service,
category, district, month, working days to first answer). Every grouping (service, category, district, month, service × month, category ×
district) is rolled up from it in Python, and every figure is derived by
``opendata.stats``; medians are exact because working days are small integers counted
in a histogram.

Results are cached (Redis when PORTAL_REDIS_URL is set, else in this process) under a key
made of the window, the city, the *data version* (the id of the newest status event, so
that every new event — answer, rating, reopening, extension, publication — invalidates)
and the current date in Asia/Bishkek (deadlines end at 23:59:59 local time, so "overdue
now" can only change at midnight without an event). A short TTL bounds staleness anyway.
After a change, the previous figures are served while new ones are computed (see
``performance_set``). Index: ``ix_appeals_performance`` covers the query.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, case, func, or_, select

from opendata import stats
from opendata.stats import Counts, PerformanceRow
from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Appeal,
    Category,
    City,
    District,
    Service,
    Solved,
    StatusEvent,
    utcnow,
)
from portal.workdays import BISHKEK

CACHE_TTL_SECONDS = 600
#: How long the previous figures may be served while new ones are computed.
LATEST_TTL_SECONDS = 24 * 3600
#: How long a computation may hold the single-flight lock (then another request may try).
COMPUTE_LOCK_SECONDS = 120
CACHE_PREFIX = "portal:performance:v1"
_SUM_FIELDS = ("received", "answered", "on_time", "deadline_known", "overdue_open",
               "reopened", "solved_yes", "solved_partly")  # fmt: skip


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
        return json.dumps(
            {
                "window_start": self.window_start.isoformat(),
                "window_end": self.window_end.isoformat(),
                "city": self.city,
                "computed_at": self.computed_at.isoformat(),
                "data_version": self.data_version,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "groups": {g: [r.as_dict() for r in rows] for g, rows in self.groups.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str, cache_key: str = "") -> PerformanceSet:
        data = json.loads(text)
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
    window_start: date, window_end: date, city: str | None = None
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
    base = ":".join((_namespace(), city or "*", window_start.isoformat(), window_end.isoformat()))
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
                args=(current_app._get_current_object(), window_start, window_end, city, base),
                name="performance-refresh",
                daemon=True,
            ).start()
        return _from_latest(latest)
    if not cache.add(lock, "1", COMPUTE_LOCK_SECONDS) and latest is not None:
        return _from_latest(latest)
    try:
        return _compute_and_store(window_start, window_end, city, base, version)
    finally:
        cache.delete(lock)


def _from_latest(latest: str) -> PerformanceSet:
    key, _, text = latest.partition("\n")
    return PerformanceSet.from_json(text, key)


def _compute_and_store(window_start, window_end, city, base, version) -> PerformanceSet:
    day = utcnow().astimezone(BISHKEK).date().isoformat()
    key = f"{base}:{version.event_id}:{day}"
    cache = _cache()
    # Per-month counts of today's last run: only months touched since are counted again.
    state_key = f"{base}:months:{day}"
    saved = cache.get(state_key)
    state = json.loads(saved) if saved else {}
    result = compute_performance_set(window_start, window_end, city, version=version, state=state)
    cache.set(state_key, json.dumps(state, separators=(",", ":")), LATEST_TTL_SECONDS)
    text = result.to_json()
    cache.set(key, text, CACHE_TTL_SECONDS)
    cache.set(f"{base}:latest", f"{key}\n{text}", LATEST_TTL_SECONDS)
    return replace(result, cache_key=key)


def _refresh_in_background(app, window_start, window_end, city, base) -> None:
    """Compute the figures of the newest data version in a thread of its own."""
    with app.app_context():
        try:
            _compute_and_store(window_start, window_end, city, base, data_version())
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
    state: dict | None = None,
) -> PerformanceSet:
    """Run the aggregate queries and build every grouping.

    ``state`` (optional, updated in place) keeps the per-month counts of an earlier run of
    the same day: then only the months touched by newer events are counted again.
    """
    now = now or utcnow()
    version = version or data_version()
    months = stats.month_starts(window_start, window_end)
    rows = _count_rows(window_start, window_end, city, months, now, version.event_id, state)
    groups = _fold(rows)
    names = _names()
    city_slug = city
    published: dict[str, list[PerformanceRow]] = {}
    for group_by in stats.GROUPINGS:
        rows = [
            stats.build_row(group_by, window_start, window_end,
                            _key(group_by, key, names, months, city_slug), counts)
            for key, counts in groups[group_by].items()
        ]  # fmt: skip
        rows.sort(key=_sort_key)
        if group_by == "service":
            rows = stats.rank_rows(rows)
        published[group_by] = rows
    return PerformanceSet(
        window_start, window_end, city, now, version.event_id, version.updated_at, published
    )


# --- SQL ----------------------------------------------------------------------------------


def local_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Asia/Bishkek (an aware instant)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=BISHKEK)


def _count_rows(window_start, window_end, city, months, now, version_id=0, state=None):
    """Counts per (city, service, category, district, month index, working days).

    One GROUP BY per calendar month of the window (a range on submitted_at each): cheaper
    than computing the month of every row in SQL, and portable. With ``state`` from an
    earlier run, months no newer event touched are taken from it instead.
    """
    bounds = [local_start(window_start)]
    bounds += [local_start(m) for m in months[1:]]
    bounds.append(local_start(window_end + timedelta(days=1)))
    count = len(bounds) - 1
    per_month: list = [None] * count
    todo = set(range(count))
    if state and state.get("months") and len(state["months"]) == count:
        touched = _months_touched_since(state["version"], bounds)
        if touched is not None:
            per_month, todo = list(state["months"]), touched
    query = _count_query(now, city)
    for index in sorted(todo):
        params = {"begin": bounds[index], "end": bounds[index + 1]}
        per_month[index] = [list(row) for row in db.session.execute(query, params)]
    if state is not None:
        state.update(version=version_id, months=per_month)
    return [
        (row[0], row[1], row[2], row[3], index, *row[4:])
        for index, month_rows in enumerate(per_month)
        for row in month_rows
    ]


#: Events re-checked before the last computed version (transactions commit out of order).
EVENT_ID_SLACK = 1000
#: Above this many newer events, counting every month again is cheaper than finding them.
INCREMENTAL_MAX_EVENTS = 20_000


def _months_touched_since(version_id: int, bounds: list[datetime]) -> set[int] | None:
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


def _count_query(now: datetime, city: str | None):
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
        )
        .group_by(
            Appeal.city_id,
            Appeal.service_id,
            Appeal.category_id,
            Appeal.district_id,
            Appeal.first_answer_workdays,
        )
    )
    if city:
        query = query.where(
            Appeal.city_id == select(City.id).where(City.slug == city).scalar_subquery()
        )
    return query


def _fold(rows) -> dict[str, dict[tuple, Counts]]:
    """Roll the finest-grain counts up into every grouping."""
    finest: dict[tuple, list] = {}
    workdays: dict[tuple, dict[int, int]] = {}
    for city_id, service_id, category_id, district_id, month, days, *sums in rows:
        key = (city_id, service_id, category_id, district_id, month)
        acc = finest.get(key)
        if acc is None:
            finest[key] = list(sums)
        else:
            for i, value in enumerate(sums):
                acc[i] += value
        if days is not None:
            histogram = workdays.setdefault(key, {})
            histogram[days] = histogram.get(days, 0) + sums[1]  # answered ones
    groups: dict[str, dict[tuple, Counts]] = {g: {} for g in stats.GROUPINGS}
    for key, sums in finest.items():
        city_id, service_id, category_id, district_id, month = key
        cell = Counts(
            **dict(zip(_SUM_FIELDS, sums[:8], strict=True)),
            workdays=workdays.get(key, {}),
            scores={s: n for s, n in zip(range(1, 6), sums[8:], strict=True) if n},
        )
        for group_by, group_key in (
            ("service", (city_id, service_id)),
            ("category", (city_id, category_id)),
            ("district", (city_id, district_id)),
            ("month", (month,)),
            ("service_month", (city_id, service_id, month)),
            ("category_district", (city_id, category_id, district_id)),
        ):
            target = groups[group_by].get(group_key)
            if target is None:
                groups[group_by][group_key] = target = Counts()
            target.add(cell)
    return groups


@dataclass(frozen=True)
class _Names:
    cities: dict[int, str]
    services: dict[int, str]
    categories: dict[int, str]
    districts: dict[int, str]


def _names() -> _Names:
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


def _key(group_by: str, key: tuple, names: _Names, months: list[date], city: str | None) -> dict:
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


def _sort_key(row: PerformanceRow) -> tuple:
    return tuple(
        (value is None, value or "")
        for value in (row.city, row.service, row.category, row.district, row.month)
    )


# --- Cache --------------------------------------------------------------------------------


class MemoryCache:
    """A small LRU with expiry, for one process (used without Redis)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self.lock:
            item = self.items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self.items[key]
                return None
            self.items.move_to_end(key)
            return item[1]

    def set(self, key: str, value: str, ttl: int) -> None:
        with self.lock:
            self.items[key] = (time.monotonic() + ttl, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set only if absent (or expired); True when this call set it."""
        with self.lock:
            item = self.items.get(key)
            if item is not None and item[0] >= time.monotonic():
                return False
            self.items[key] = (time.monotonic() + ttl, value)
            return True

    def delete(self, key: str) -> None:
        with self.lock:
            self.items.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class RedisCache:
    """The same interface over Redis, shared by every worker and host."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def get(self, key: str) -> str | None:
        try:
            value = self.client.get(key)
        except Exception:  # noqa: BLE001 - a cache outage must not break the page
            return None
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl: int) -> None:
        with contextlib.suppress(Exception):  # a cache outage must not break the page
            self.client.set(key, value, ex=ttl)

    def add(self, key: str, value: str, ttl: int) -> bool:
        try:
            return bool(self.client.set(key, value, ex=ttl, nx=True))
        except Exception:  # noqa: BLE001 - without Redis, everyone computes
            return True

    def delete(self, key: str) -> None:
        with contextlib.suppress(Exception):
            self.client.delete(key)

    def clear(self) -> None:
        try:
            for key in self.client.scan_iter(f"{CACHE_PREFIX}:*"):
                self.client.delete(key)
        except Exception:  # noqa: BLE001
            pass


def _namespace() -> str:
    """Key prefix: one database's figures never meet another's in a shared Redis (the test
    suite also gives each app its own RATELIMIT_KEY_PREFIX, reused here)."""
    uri = current_app.config.get("SQLALCHEMY_DATABASE_URI", "")
    digest = hashlib.sha1(uri.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{CACHE_PREFIX}:{digest}{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}"


def _cache() -> MemoryCache | RedisCache:
    """The application's performance cache (created on first use)."""
    cache = current_app.extensions.get("portal.performance_cache")
    if cache is None:
        url = current_app.config.get("REDIS_URL")
        cache = RedisCache(url) if url else MemoryCache()
        current_app.extensions["portal.performance_cache"] = cache
    return cache


def clear_cache() -> None:
    """Forget every cached result of this application (tests, benchmarks)."""
    _cache().clear()
