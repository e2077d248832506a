"""An in-process index of public appeals for the map and the lists at city scale.

A GROUP BY over a million rows per map request is too slow (on SQLite above all), so each
process loads the few public columns the map and the filters need — one SELECT, public
columns only — into numpy arrays, and answers every map and list request with boolean
masks over them. The arrays are sorted newest first (published_at, then id, descending),
so any filtered selection is already in the lists' order.

The index is built by ``portal.queries.map_index_load`` and kept fresh per process by
``portal.queries.map_index_cache``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from datetime import time as dtime

import numpy as np

from opendata import schema
from portal.models import OPEN_STATUSES, PUBLIC_STATUSES, utcnow
from portal.queries import search
from portal.schemas.filters import AppealFilters
from portal.workdays import BISHKEK

#: Public statuses by their index in PointIndex.status.
STATUS_CODES = tuple(s.value for s in PUBLIC_STATUSES)
OPEN_CODES = tuple(STATUS_CODES.index(s.value) for s in OPEN_STATUSES)
#: Kinds of appeal by their index in PointIndex.appeal_kind.
KIND_CODES = schema.APPEAL_KINDS

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
    built_at: datetime  # when the data was read (UTC): what pages call "data as of"
    ids: np.ndarray  # appeals.id (int64)
    lat: np.ndarray  # public_lat (float64, NaN when no point is published)
    lon: np.ndarray
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
    appeal_kind: np.ndarray  # int8 index into KIND_CODES
    names: dict[str, list[str]]  # kind -> public codes by number
    fk_codes: dict[str, dict[int, str]]  # kind -> foreign key id -> public code
    published: np.ndarray  # epoch seconds of publication (the list order)
    # Distinct published points ("locations"): masking snaps many appeals to one point.
    loc: np.ndarray  # location number of each appeal (int32, -1 without a point)
    loc_lat: np.ndarray  # per location (float64)
    loc_lon: np.ndarray
    loc_px: np.ndarray  # per location, Web Mercator pixels (uint32)
    loc_py: np.ndarray
    by_loc: np.ndarray  # positions of the appeals with a point, by location, then base class
    loc_start: np.ndarray  # by_loc[loc_start[k]:loc_start[k + 1]] are location k's appeals
    without_point: np.ndarray  # positions of the appeals without a published point
    # The filtered columns again in spatial order: row r is the appeal at position
    # by_loc[r] (grouped by location, locations by Web Mercator x then y), then those of
    # without_point. A viewport is then one slice of rows (portal.queries.map_slices).
    s_key: np.ndarray  # location * len(MARKER_CLASSES) + base class (int64; < 0: no point)
    s_city: np.ndarray
    s_district: np.ndarray
    s_category: np.ndarray
    s_service: np.ndarray
    s_status: np.ndarray
    s_appeal_kind: np.ndarray
    s_submitted: np.ndarray
    s_open_due: np.ndarray
    s_open: np.ndarray  # the rows of open appeals (ascending): the only ones that can be late
    key_start: np.ndarray  # rows key_start[k]…key_start[k + 1] are those whose s_key is k
    _cache: dict = field(default_factory=dict, repr=False)
    _seen: dict = field(default_factory=dict, repr=False)
    _lookup: list = field(default_factory=list, repr=False)  # [position of each id]

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

        A large viewport, or a filter combination asked for again (the map is being
        panned), is read from the per-filter table of every location (cached); the first
        small viewport of a new combination is counted from its own appeals.
        """
        key = (replace(filters, bbox=None), int(now.timestamp()) // 60)
        small = self.appeals_at(locations) * 10 <= self.size
        if key in self._cache or not small or key in self._seen:
            return self.location_classes(filters, now)[0][locations]
        if len(self._seen) > 1000:
            self._seen.clear()
        self._seen[key] = True
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
        for column, compare, value in conditions(self, filters, now):
            keep &= compare(getattr(self, column), value)
        if filters.bbox:
            keep &= self.in_bbox(filters.bbox)
        if filters.q:
            keep &= self.search_mask(filters.q)
        return keep

    def search(self, q: str) -> search.Found:
        """What the text search ``q`` finds (queries.search), kept with this index for the
        current minute: panning the map or paging with the same search does not search
        again, and a text published without a status event (a released answer) is found
        within a minute."""
        return self._per_minute(("q", q), lambda: search.find(q))

    def search_mask(self, q: str) -> np.ndarray:
        """The appeals of this index that the text search ``q`` finds."""

        def build() -> np.ndarray:
            found = np.zeros(self.size, dtype=bool)
            found[self.positions_of(self.search(q).ids)] = True
            return found

        return self._per_minute(("q-mask", q), build)

    def positions_of(self, ids: np.ndarray) -> np.ndarray:
        """Positions in this index of those of ``ids`` it holds (in the order of ``ids``)."""
        if not self._lookup:  # a dense id -> position table: O(1) per id, no sorting
            table = np.full(int(self.ids.max(initial=0)) + 1, -1, dtype=np.int64)
            table[self.ids] = np.arange(self.size)
            self._lookup.append(table)
        table = self._lookup[0]
        ids = ids[(ids >= 0) & (ids < table.size)]
        positions = table[ids]
        return positions[positions >= 0]

    def _per_minute(self, key: tuple, build):
        """``build()``, kept in this index's small cache for the current minute."""
        key = (*key, int(utcnow().timestamp()) // 60)
        value = self._cache.get(key)
        if value is None:
            value = build()
            try:  # bounded like the per-filter tables (many different searches)
                while len(self._cache) >= LOCATION_CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)), None)
            except (RuntimeError, StopIteration):  # another thread trimmed it meanwhile
                pass
            self._cache[key] = value
        return value

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
         "submitted", "open_due", "ids", "appeal_kind")
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

    in_bbox = PointIndex.in_bbox

    def search_mask(self, q: str) -> np.ndarray:
        return self._index.search_mask(q)[self._positions]


def conditions(index, filters: AppealFilters, now: datetime) -> list[tuple[str, Callable, int]]:
    """The filters but ``bbox`` and ``q`` as (column, comparison, value) over the index's
    columns: one statement of the rules of portal.queries.filters for every way the index
    is read (whole columns, a subset, or a slice of the spatial order). Values are whole
    numbers (a day starts on a whole second), so comparisons never widen a column."""
    found: list[tuple[str, Callable, int]] = []
    for name in ("city", "category", "service", "district"):
        code = getattr(filters, name)
        if code:
            found.append((name, operator.eq, index.code_number(name, code)))
    if filters.status:
        found.append(("status", operator.eq, STATUS_CODES.index(filters.status)))
    if filters.kind:
        found.append(("appeal_kind", operator.eq, KIND_CODES.index(filters.kind)))
    if filters.date_from:
        start = datetime.combine(filters.date_from, dtime.min, tzinfo=BISHKEK)
        found.append(("submitted", operator.ge, int(start.timestamp())))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), dtime.min, tzinfo=BISHKEK)
        found.append(("submitted", operator.lt, int(end.timestamp())))
    if filters.overdue:
        found.append(("open_due", operator.lt, int(now.timestamp())))
    return found


def first_ids(index: PointIndex, mask: np.ndarray, offset: int, limit: int) -> list[int]:
    """Ids of matching appeals ``offset``…``offset+limit`` in list order (newest first)."""
    positions = np.flatnonzero(mask)[offset : offset + limit]
    return [int(i) for i in index.ids[positions]]


def ids_in_order(ids: Iterable[int], records: dict) -> list:
    """Records in the order of ``ids`` (ids whose record disappeared are skipped)."""
    return [records[i] for i in ids if i in records]
