"""An in-process index of public appeals for the map and the lists at city scale.

A GROUP BY over a million rows per map request is too slow (on SQLite above all), so each
process loads the few public columns the map and the filters need — one SELECT, public
columns only — into numpy arrays, and answers every map and list request with boolean
masks over them. The arrays are sorted newest first (published_at, then id, descending),
so any filtered selection is already in the lists' order.

Freshness: a cheap data version (highest appeal id and highest status event id — every
transition writes an event) is checked at most every
``MAP_INDEX_REFRESH_SECONDS`` (default 5). When it changed, the index is rebuilt in a
background thread while requests keep using the previous one; in TESTING (or with
``MAP_INDEX_SYNC``) the check and rebuild happen in the request, so tests see their
writes at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from datetime import time as dtime

import numpy as np
from flask import current_app
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Integer,
    String,
    case,
    cast,
    extract,
    func,
    select,
    type_coerce,
)

from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Appeal,
    Category,
    City,
    District,
    Service,
    StatusEvent,
)
from portal.schemas.filters import AppealFilters
from portal.workdays import BISHKEK

#: Public statuses by their index in PointIndex.status.
STATUS_CODES = tuple(s.value for s in PUBLIC_STATUSES)
OPEN_CODES = tuple(STATUS_CODES.index(s.value) for s in OPEN_STATUSES)

#: Marker classes (colours of the map): index in this tuple = class number.
MARKER_CLASSES = ("new", "in_progress", "answered", "overdue", "closed", "reopened")
OVERDUE_CLASS = MARKER_CLASSES.index("overdue")
_STATUS_CLASS = {
    "published": "new",
    "acknowledged": "in_progress",
    "in_progress": "in_progress",
    "answered": "answered",
    "reopened": "reopened",
    "closed": "closed",
}
STATUS_CLASS_TABLE = np.array(
    [MARKER_CLASSES.index(_STATUS_CLASS[code]) for code in STATUS_CODES], dtype=np.int8
)


def marker_class(status: str, overdue: bool) -> str:
    """The marker class (colour) of one appeal."""
    return "overdue" if overdue else _STATUS_CLASS.get(status, "new")


def mercator(*, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator coordinates normalised to [0, 1] (x eastwards, y southwards)."""
    x = (lon + 180.0) / 360.0
    clipped = np.radians(np.clip(lat, -85.05112878, 85.05112878))
    y = (1.0 - np.log(np.tan(clipped) + 1.0 / np.cos(clipped)) / math.pi) / 2.0
    return x, y


def inverse_mercator(*, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of normalised Web Mercator coordinates."""
    lon = x * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(math.pi * (1.0 - 2.0 * y))))
    return lat, lon


#: Web Mercator pixel coordinates are kept as integers at this zoom (x * 2**31 fits uint32).
PIXEL_BITS = 31
NEVER = np.iinfo(np.int64).max
#: Filter combinations whose per-location counts are kept (LRU-ish, per process).
LOCATION_CACHE_SIZE = 16


@dataclass(frozen=True, eq=False)
class PointIndex:
    """Column arrays of every public appeal, newest first."""

    version: tuple
    ids: np.ndarray  # appeals.id (int64)
    lat: np.ndarray  # public_lat (float64, NaN when no point is published)
    lon: np.ndarray
    px: np.ndarray  # Web Mercator x * 2**31 (uint32; 0 without a point)
    py: np.ndarray
    has_point: np.ndarray  # bool
    # Codes as small numbers (position in ``names[kind]``; district -1 when unknown).
    city: np.ndarray
    district: np.ndarray
    category: np.ndarray
    service: np.ndarray
    status: np.ndarray  # int8 index into STATUS_CODES
    base_class: np.ndarray  # int8 marker class ignoring deadlines
    open_due: np.ndarray  # due_at of open appeals, NEVER for the others (epoch s)
    submitted: np.ndarray  # epoch seconds (int64)
    due: np.ndarray
    score: np.ndarray  # last_score (int8, 0 when unrated)
    on_time: np.ndarray  # answered_on_time (int8: 1 yes, 0 no, -1 not answered yet)
    public_id: np.ndarray  # bytes ("BSK-2026-000123")
    precision: np.ndarray  # location_precision_m (int16, 0 without a point)
    first_answer: np.ndarray  # epoch seconds of the first answer (-1: none yet)
    names: dict[str, list[str]]  # kind -> public codes by number
    # Distinct published points ("locations"): masking snaps many appeals to one point.
    loc: np.ndarray  # location number of each appeal (int32, -1 without a point)
    loc_lat: np.ndarray  # per location (float64)
    loc_lon: np.ndarray
    loc_px: np.ndarray  # per location, Web Mercator pixels (uint32)
    loc_py: np.ndarray
    by_loc: np.ndarray  # positions of the appeals with a point, grouped by location
    loc_start: np.ndarray  # by_loc[loc_start[k]:loc_start[k + 1]] are location k's appeals
    without_point: np.ndarray  # positions of the appeals without a published point
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def locations(self) -> int:
        return int(self.loc_lat.size)

    def locations_in(self, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
        """Numbers of the locations inside ``bbox`` (all when None)."""
        if bbox is None:
            return np.arange(self.locations)
        min_lon, min_lat, max_lon, max_lat = bbox
        inside = (self.loc_lat >= min_lat) & (self.loc_lat <= max_lat)
        inside &= (self.loc_lon >= min_lon) & (self.loc_lon <= max_lon)
        return np.flatnonzero(inside)

    def positions_at(self, locations: np.ndarray, ordered: bool = True) -> np.ndarray:
        """Positions (list order unless ``ordered`` is False) of the appeals at locations."""
        starts = self.loc_start[locations]
        lengths = self.loc_start[locations + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        positions = self.by_loc[offsets + np.arange(total)]
        return np.sort(positions) if ordered else positions

    def appeals_at(self, locations: np.ndarray) -> int:
        """How many appeals (matching or not) the given locations hold."""
        return int((self.loc_start[locations + 1] - self.loc_start[locations]).sum())

    def classes_in(
        self, filters: AppealFilters, now: datetime, locations: np.ndarray
    ) -> np.ndarray:
        """Matching appeals per marker class at each of ``locations`` (sorted numbers).

        A viewport holding a small part of the city is counted from its own appeals; a
        large one from the per-filter table of every location (cached).
        """
        if self.appeals_at(locations) * 10 > self.size:
            return self.location_classes(filters, now)[0][locations]
        positions = self.positions_at(locations, ordered=False)
        positions = positions[self.mask_at(replace(filters, bbox=None), now, positions)]
        rows = np.searchsorted(locations, self.loc[positions])
        keys = rows.astype(np.int64) * len(MARKER_CLASSES) + self.classes_at(positions, now)
        return np.bincount(keys, minlength=locations.size * len(MARKER_CLASSES)).reshape(
            locations.size, len(MARKER_CLASSES)
        )

    def count_without_point(self, filters: AppealFilters, now: datetime) -> int:
        """Matching appeals that have no published point (sensitive categories)."""
        positions = self.without_point
        return int(np.count_nonzero(self.mask_at(replace(filters, bbox=None), now, positions)))

    def location_classes(self, filters: AppealFilters, now: datetime) -> tuple[np.ndarray, int]:
        """Matching appeals per location and marker class (locations × classes), and the
        number of matching appeals without a point; ``filters.bbox`` is ignored.

        Cached per filters and minute: panning and zooming with the same filters reuse it.
        """
        filters = replace(filters, bbox=None)
        key = (filters, int(now.timestamp()) // 60)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        matching = self.mask(filters, now)
        with_point = matching & self.has_point
        late = self.open_due[with_point] < int(now.timestamp())
        classes = np.where(late, np.int8(OVERDUE_CLASS), self.base_class[with_point])
        keys = self.loc[with_point].astype(np.int64) * len(MARKER_CLASSES) + classes
        table = np.bincount(keys, minlength=self.locations * len(MARKER_CLASSES)).reshape(
            self.locations, len(MARKER_CLASSES)
        )
        result = (table, int(np.count_nonzero(matching)) - int(np.count_nonzero(with_point)))
        try:
            while len(self._cache) >= LOCATION_CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)), None)
        except (RuntimeError, StopIteration):  # another thread trimmed it meanwhile
            pass
        self._cache[key] = result
        return result

    def mask_at(self, filters: AppealFilters, now: datetime, positions: np.ndarray) -> np.ndarray:
        """``mask`` evaluated only at ``positions`` (cheap for a few thousand appeals)."""
        view = _Subset(self, positions)
        return PointIndex.mask(view, filters, now)  # type: ignore[arg-type]

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def code_number(self, kind: str, code: str) -> int:
        """The number of a public code in this index (-2, matching nothing, if unknown)."""
        try:
            return self.names[kind].index(code)
        except ValueError:
            return -2

    def overdue(self, now: datetime) -> np.ndarray:
        """Open appeals past their deadline at ``now``."""
        return self.open_due < int(now.timestamp())

    def classes_at(self, positions: np.ndarray, now: datetime) -> np.ndarray:
        """Marker class numbers of the appeals at ``positions`` at ``now``."""
        late = self.open_due[positions] < int(now.timestamp())
        return np.where(late, np.int8(OVERDUE_CLASS), self.base_class[positions])

    def mask(self, filters: AppealFilters, now: datetime) -> np.ndarray:
        """Appeals matching the filters (the same rules as portal.queries.filters)."""
        keep = np.ones(self.size, dtype=bool)
        for name in ("city", "category", "service", "district"):
            code = getattr(filters, name)
            if code:
                keep &= getattr(self, name) == self.code_number(name, code)
        if filters.status:
            keep &= self.status == STATUS_CODES.index(filters.status)
        if filters.date_from:
            start = datetime.combine(filters.date_from, dtime.min, tzinfo=BISHKEK)
            keep &= self.submitted >= start.timestamp()
        if filters.date_to:
            end = datetime.combine(filters.date_to + timedelta(days=1), dtime.min, tzinfo=BISHKEK)
            keep &= self.submitted < end.timestamp()
        if filters.overdue:
            keep &= self.overdue(now)
        if filters.bbox:
            keep &= self.in_bbox(filters.bbox)
        return keep

    def in_bbox(self, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
        """Appeals with a published point inside ``bbox`` (anywhere when None)."""
        if bbox is None:
            return self.has_point
        min_lon, min_lat, max_lon, max_lat = bbox
        with np.errstate(invalid="ignore"):
            inside = self.lat >= min_lat
            inside &= self.lat <= max_lat
            inside &= self.lon >= min_lon
            inside &= self.lon <= max_lon
            return inside


class _Subset:
    """The index's columns at some positions, duck-typed for PointIndex.mask; a column
    is gathered only when a filter reads it."""

    _COLUMNS = frozenset(
        ("lat", "lon", "has_point", "city", "district", "category", "service", "status",
         "submitted", "open_due")
    )  # fmt: skip

    def __init__(self, index: PointIndex, positions: np.ndarray) -> None:
        self._index = index
        self._positions = positions
        self.size = int(positions.size)

    def __getattr__(self, name: str):
        if name not in self._COLUMNS:
            raise AttributeError(name)
        value = getattr(self._index, name)[self._positions]
        setattr(self, name, value)
        return value

    def code_number(self, kind: str, code: str) -> int:
        return self._index.code_number(kind, code)

    overdue = PointIndex.overdue
    in_bbox = PointIndex.in_bbox


def data_version(conn) -> tuple:
    """Two primary-key lookups that change whenever an appeal is added or transitions.

    Every change of what the index holds (status, deadline, service, published point)
    is a transition and so appends a status event; appeals are never deleted (a
    withdrawn appeal is a tombstone, also an event).
    """
    appeal = conn.execute(select(func.max(Appeal.id))).scalar()
    event = conn.execute(select(func.max(StatusEvent.id))).scalar()
    return (appeal, event)


def _epoch(column, dialect: str):
    """Seconds since the epoch of a UTC datetime column, computed by the database."""
    raw = type_coerce(column, DateTime)
    if dialect == "sqlite":
        import sqlite3

        if sqlite3.sqlite_version_info >= (3, 38):
            return func.unixepoch(raw)
        return cast(func.strftime("%s", raw), Integer)
    return cast(extract("epoch", raw), BigInteger)


def _codes(conn) -> dict[str, dict[int, str]]:
    """Foreign key id -> public code, per kind (city slug, district slug, …)."""
    codes: dict[str, dict[int, str]] = {}
    for name, id_column, code_column in (
        ("city", City.id, City.slug),
        ("district", District.id, District.slug),
        ("category", Category.id, Category.code),
        ("service", Service.id, Service.code),
    ):
        codes[name] = dict(conn.execute(select(id_column, code_column)).all())
    return codes


def _numbered(ids: np.ndarray, codes: dict[int, str]) -> tuple[np.ndarray, list[str]]:
    """Foreign keys -> numbers of their public codes (the same code in two cities: one)."""
    names = sorted(set(codes.values()))
    lookup = np.full(max(codes, default=0) + 2, -1, dtype=np.int16)
    for row_id, code in codes.items():
        lookup[row_id] = names.index(code)
    safe = np.where((ids >= 0) & (ids < lookup.size), ids, lookup.size - 1)
    return lookup[safe], names


#: One row of the index as the database returns it (all numbers but the public id).
ROW = np.dtype(
    [
        ("id", "i8"),
        ("lat", "f8"),
        ("lon", "f8"),
        ("city", "i4"),
        ("district", "i4"),
        ("category", "i4"),
        ("service", "i4"),
        ("status", "i1"),
        ("submitted", "i8"),
        ("due", "i8"),
        ("published", "i8"),
        ("score", "i1"),
        ("on_time", "i1"),
        ("precision", "i2"),
        ("first_answer", "i8"),
        ("public_id", "S20"),
    ]
)
NO_POINT = 1000.0  # stands for NULL coordinates in the SELECT (NaN in the index)
FETCH_ROWS = 50_000


def index_query(dialect: str):
    """The single SELECT the index is built from: public columns of public appeals."""
    status_number = case(
        {code: number for number, code in enumerate(STATUS_CODES)},
        value=type_coerce(Appeal.status, String),
        else_=-1,
    )
    return select(
        Appeal.id,
        func.coalesce(Appeal.public_lat, NO_POINT),
        func.coalesce(Appeal.public_lon, NO_POINT),
        Appeal.city_id,
        func.coalesce(Appeal.district_id, -1),
        Appeal.category_id,
        Appeal.service_id,
        status_number,
        _epoch(Appeal.submitted_at, dialect),
        _epoch(Appeal.due_at, dialect),
        func.coalesce(_epoch(Appeal.published_at, dialect), 0),
        func.coalesce(Appeal.last_score, 0),
        case(
            (Appeal.answered_on_time.is_(None), -1),
            (Appeal.answered_on_time, 1),
            else_=0,
        ),
        func.coalesce(Appeal.location_precision_m, 0),
        func.coalesce(_epoch(Appeal.first_answer_at, dialect), -1),
        Appeal.public_id,
    ).where(Appeal.status.in_(PUBLIC_STATUSES))


def build_index(engine: Engine) -> PointIndex:
    """Load every public appeal's map columns (one SELECT of public columns).

    Rows go from the driver's cursor straight into a numpy structured array, chunk by
    chunk, without per-row Python objects of SQLAlchemy.
    """
    with engine.connect() as conn:
        version = data_version(conn)
        codes = _codes(conn)
        cursor = conn.execute(index_query(engine.dialect.name)).cursor
        chunks = []
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.array(rows, dtype=ROW))
    table = np.concatenate(chunks) if chunks else np.zeros(0, dtype=ROW)
    return _arrays(table, version, codes)


def _arrays(table: np.ndarray, version: tuple, codes: dict) -> PointIndex:
    order = np.lexsort((-table["id"], -table["published"]))  # newest first, then highest id
    table = table[order]
    has_point = table["lat"] != NO_POINT
    lat = np.where(has_point, table["lat"], np.nan)
    lon = np.where(has_point, table["lon"], np.nan)
    x, y = mercator(lat=np.where(has_point, lat, 0.0), lon=np.where(has_point, lon, 0.0))
    scale = float(2**PIXEL_BITS)
    px = np.clip(x * scale, 0, scale - 1).astype(np.uint32)
    py = np.clip(y * scale, 0, scale - 1).astype(np.uint32)
    status = np.ascontiguousarray(table["status"])
    is_open = np.isin(status, OPEN_CODES)
    numbered = {
        kind: _numbered(np.ascontiguousarray(table[kind]), codes[kind])
        for kind in ("city", "district", "category", "service")
    }

    def column(name: str) -> np.ndarray:
        return np.ascontiguousarray(table[name])

    located = np.flatnonzero(has_point)
    point_keys = (px[located].astype(np.uint64) << np.uint64(32)) | py[located]
    unique, first, inverse = np.unique(point_keys, return_index=True, return_inverse=True)
    loc = np.full(table.size, -1, dtype=np.int32)
    loc[located] = inverse
    grouping = np.argsort(inverse, kind="stable")
    loc_start = np.zeros(unique.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(inverse, minlength=unique.size), out=loc_start[1:])

    return PointIndex(
        version=version,
        ids=column("id"),
        lat=lat,
        lon=lon,
        px=px,
        py=py,
        has_point=has_point,
        city=numbered["city"][0],
        district=numbered["district"][0],
        category=numbered["category"][0],
        service=numbered["service"][0],
        status=status,
        base_class=STATUS_CLASS_TABLE[np.clip(status, 0, len(STATUS_CODES) - 1)],
        open_due=np.where(is_open, table["due"], NEVER),
        submitted=column("submitted"),
        due=column("due"),
        score=column("score"),
        on_time=column("on_time"),
        public_id=column("public_id"),
        precision=column("precision"),
        first_answer=column("first_answer"),
        names={kind: names for kind, (_, names) in numbered.items()},
        loc=loc,
        loc_lat=lat[located][first],
        loc_lon=lon[located][first],
        loc_px=px[located][first],
        loc_py=py[located][first],
        by_loc=located[grouping],
        loc_start=loc_start,
        without_point=np.flatnonzero(~has_point),
    )


class IndexHolder:
    """The current PointIndex of one application, refreshed when the data changes."""

    def __init__(self, engine: Engine, refresh_seconds: float, sync: bool) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self.sync = sync
        self._index: PointIndex | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def get(self) -> PointIndex:
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = build_index(self.engine)
                    self._checked = time.monotonic()
                return self._index
        if time.monotonic() - self._checked >= self.refresh_seconds:
            if self.sync:
                with self._lock:
                    self._refresh()
            else:
                self._refresh_in_background()
        return self._index

    def _refresh(self) -> None:
        self._checked = time.monotonic()
        with self.engine.connect() as conn:
            version = data_version(conn)
        if self._index is None or version != self._index.version:
            self._index = build_index(self.engine)

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._checked = time.monotonic()  # one check at a time
            self._worker = threading.Thread(target=self._refresh_quietly, daemon=True)
            self._worker.start()

    def _refresh_quietly(self) -> None:
        try:
            self._refresh()
        except Exception:  # noqa: BLE001 - keep serving the previous index
            current_logger().exception("map index refresh failed")

    def _warm(self) -> None:
        try:
            self.get()
        except Exception:  # noqa: BLE001 - the first request will build and report it
            current_logger().exception("map index warm-up failed")

    def invalidate(self) -> None:
        """Force a check on the next request (tests and write paths may call it)."""
        self._checked = 0.0


def current_logger():
    import logging

    return logging.getLogger("portal.map_index")


def _holder(app) -> IndexHolder:
    holder = app.extensions.get("portal_map_index")
    if holder is None:
        sync = bool(app.config.get("MAP_INDEX_SYNC", app.testing))
        refresh = float(app.config.get("MAP_INDEX_REFRESH_SECONDS", 0 if sync else 5))
        holder = IndexHolder(db.engine, refresh_seconds=refresh, sync=sync)
        app.extensions["portal_map_index"] = holder
    return holder


def point_index() -> PointIndex:
    """The current application's index (built on first use)."""
    return _holder(current_app._get_current_object()).get()


def warm_up() -> None:
    """Start building the index in the background at a process's first request, so the
    map's first API call does not wait the whole build (off in TESTING)."""
    app = current_app._get_current_object()
    if app.testing or not app.config.get("MAP_INDEX_WARMUP", True):
        return
    holder = _holder(app)
    if holder._index is None and holder._worker is None:
        with holder._lock:
            if holder._worker is None:
                holder._worker = threading.Thread(target=holder._warm, daemon=True)
                holder._worker.start()


def first_ids(index: PointIndex, mask: np.ndarray, offset: int, limit: int) -> list[int]:
    """Ids of matching appeals ``offset``…``offset+limit`` in list order (newest first)."""
    positions = np.flatnonzero(mask)[offset : offset + limit]
    return [int(i) for i in index.ids[positions]]


def ids_in_order(ids: Iterable[int], records: dict) -> list:
    """Records in the order of ``ids`` (ids whose record disappeared are skipped)."""
    return [records[i] for i in ids if i in records]
