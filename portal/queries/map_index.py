"""An in-process index of public appeals for the map and the lists at city scale.

A GROUP BY over a million rows per map request is too slow (on SQLite above all), so each
process loads the few public columns the map and the filters need — one SELECT, public
columns only — into numpy arrays, and answers every map and list request with boolean
masks over them. The arrays are sorted newest first (published_at, then id, descending),
so any filtered selection is already in the lists' order.

Freshness: a cheap data version (number of appeals, highest appeal id, highest status
event id — every transition writes an event) is checked at most every
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
from dataclasses import dataclass
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


@dataclass(frozen=True, eq=False)
class PointIndex:
    """Column arrays of every public appeal, newest first."""

    version: tuple
    ids: np.ndarray  # appeals.id (int64)
    lat: np.ndarray  # public_lat (float64, NaN when no point is published)
    lon: np.ndarray
    x: np.ndarray  # normalised Web Mercator (NaN without a point)
    y: np.ndarray
    has_point: np.ndarray  # bool
    city: np.ndarray  # foreign keys (int32; district -1 when unknown)
    district: np.ndarray
    category: np.ndarray
    service: np.ndarray
    status: np.ndarray  # int8 index into STATUS_CODES
    submitted: np.ndarray  # epoch seconds (int64)
    due: np.ndarray
    score: np.ndarray  # last_score (int8, 0 when unrated)
    on_time: np.ndarray  # answered_on_time (int8: 1 yes, 0 no, -1 not answered yet)
    # public code -> foreign key ids (a category code exists in each city, …)
    codes: dict[str, dict[str, list[int]]]

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def overdue(self, now: datetime) -> np.ndarray:
        """Open appeals past their deadline at ``now``."""
        return np.isin(self.status, OPEN_CODES) & (self.due < now.timestamp())

    def classes(self, now: datetime) -> np.ndarray:
        """Marker class number of every appeal at ``now``."""
        classes = STATUS_CLASS_TABLE[self.status]
        return np.where(self.overdue(now), np.int8(OVERDUE_CLASS), classes)

    def mask(self, filters: AppealFilters, now: datetime) -> np.ndarray:
        """Appeals matching the filters (the same rules as portal.queries.filters)."""
        keep = np.ones(self.size, dtype=bool)
        for name, column in (
            ("city", self.city),
            ("category", self.category),
            ("service", self.service),
            ("district", self.district),
        ):
            code = getattr(filters, name)
            if code:
                keep &= np.isin(column, self.codes[name].get(code, []))
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
            return (
                (self.lat >= min_lat)
                & (self.lat <= max_lat)
                & (self.lon >= min_lon)
                & (self.lon <= max_lon)
            )


def data_version(conn) -> tuple:
    """Cheap to read, and changes whenever an appeal is added, removed or transitions."""
    appeals = conn.execute(select(func.count(), func.max(Appeal.id)).select_from(Appeal)).one()
    events = conn.execute(select(func.max(StatusEvent.id))).scalar()
    return (int(appeals[0]), appeals[1], events)


def _epoch(column, dialect: str):
    """Seconds since the epoch of a UTC datetime column, computed by the database."""
    raw = type_coerce(column, DateTime)
    if dialect == "sqlite":
        return cast(func.strftime("%s", raw), Integer)
    return cast(extract("epoch", raw), BigInteger)


def _codes(conn) -> dict[str, dict[str, list[int]]]:
    codes: dict[str, dict[str, list[int]]] = {}
    for name, id_column, code_column in (
        ("city", City.id, City.slug),
        ("district", District.id, District.slug),
        ("category", Category.id, Category.code),
        ("service", Service.id, Service.code),
    ):
        table: dict[str, list[int]] = {}
        for row_id, code in conn.execute(select(id_column, code_column)):
            table.setdefault(code, []).append(row_id)
        codes[name] = table
    return codes


def build_index(engine: Engine) -> PointIndex:
    """Load every public appeal's map columns (one SELECT of public columns)."""
    dialect = engine.dialect.name
    query = select(
        Appeal.id,
        Appeal.public_lat,
        Appeal.public_lon,
        Appeal.city_id,
        func.coalesce(Appeal.district_id, -1),
        Appeal.category_id,
        Appeal.service_id,
        type_coerce(Appeal.status, String),
        _epoch(Appeal.submitted_at, dialect),
        _epoch(Appeal.due_at, dialect),
        func.coalesce(_epoch(Appeal.published_at, dialect), 0),
        func.coalesce(Appeal.last_score, 0),
        Appeal.answered_on_time,
    ).where(Appeal.status.in_(PUBLIC_STATUSES))
    with engine.connect() as conn:
        version = data_version(conn)
        codes = _codes(conn)
        rows = conn.execute(query).all()
    return _arrays(rows, version, codes)


def _column(rows: list, position: int, dtype) -> np.ndarray:
    return np.fromiter((row[position] for row in rows), dtype=dtype, count=len(rows))


def _arrays(rows: list, version: tuple, codes: dict) -> PointIndex:
    nan = float("nan")
    ids = _column(rows, 0, np.int64)
    published = _column(rows, 10, np.int64)
    order = np.lexsort((-ids, -published))  # newest published first, then highest id
    lat = np.fromiter((nan if r[1] is None else r[1] for r in rows), np.float64, len(rows))
    lon = np.fromiter((nan if r[2] is None else r[2] for r in rows), np.float64, len(rows))
    status_number = {code: number for number, code in enumerate(STATUS_CODES)}
    status = np.fromiter((status_number[r[7]] for r in rows), np.int8, len(rows))
    lat, lon = lat[order], lon[order]
    x, y = mercator(lat=lat, lon=lon)
    return PointIndex(
        version=version,
        ids=ids[order],
        lat=lat,
        lon=lon,
        x=x,
        y=y,
        has_point=~np.isnan(lat),
        city=_column(rows, 3, np.int32)[order],
        district=_column(rows, 4, np.int32)[order],
        category=_column(rows, 5, np.int32)[order],
        service=_column(rows, 6, np.int32)[order],
        status=status[order],
        submitted=_column(rows, 8, np.int64)[order],
        due=_column(rows, 9, np.int64)[order],
        score=_column(rows, 11, np.int8)[order],
        on_time=np.fromiter(
            (-1 if r[12] is None else int(r[12]) for r in rows), np.int8, len(rows)
        )[order],
        codes=codes,
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

    def invalidate(self) -> None:
        """Force a check on the next request (tests and write paths may call it)."""
        self._checked = 0.0


def current_logger():
    import logging

    return logging.getLogger("portal.map_index")


def point_index() -> PointIndex:
    """The current application's index (built on first use)."""
    app = current_app._get_current_object()
    holder = app.extensions.get("portal_map_index")
    if holder is None:
        sync = bool(app.config.get("MAP_INDEX_SYNC", app.testing))
        refresh = float(app.config.get("MAP_INDEX_REFRESH_SECONDS", 0 if sync else 5))
        holder = IndexHolder(db.engine, refresh_seconds=refresh, sync=sync)
        app.extensions["portal_map_index"] = holder
    return holder.get()


def first_ids(index: PointIndex, mask: np.ndarray, offset: int, limit: int) -> list[int]:
    """Ids of matching appeals ``offset``…``offset+limit`` in list order (newest first)."""
    positions = np.flatnonzero(mask)[offset : offset + limit]
    return [int(i) for i in index.ids[positions]]


def ids_in_order(ids: Iterable[int], records: dict) -> list:
    """Records in the order of ``ids`` (ids whose record disappeared are skipped)."""
    return [records[i] for i in ids if i in records]
