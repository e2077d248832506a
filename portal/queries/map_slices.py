"""The appeals of one map view, read from the index's spatial order.

The index keeps the filtered columns a second time in spatial order (``PointIndex.s_*``:
grouped by location, the locations sorted by Web Mercator x). A viewport's locations then
lie in one run of location numbers, and their appeals in one slice of rows, so a view
with any new combination of filters costs a few comparisons over contiguous slices and
one count per location — no per-filter table over the whole city, no gathering of
scattered rows. The counts are those of ``PointIndex.classes_in`` and
``PointIndex.count_without_point`` (tests/portal/test_map_slices.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from portal.queries.map_index import (
    MARKER_CLASSES,
    OVERDUE_CLASS,
    PIXEL_BITS,
    PointIndex,
    conditions,
    mercator,
)
from portal.schemas.filters import AppealFilters


@dataclass(frozen=True)
class ViewRows:
    """The matching appeals of one viewport."""

    locations: np.ndarray  # numbers (ascending) of the locations inside it holding a match
    by_class: np.ndarray  # matching appeals per such location and marker class
    without_location: int  # matching appeals without a published point (anywhere)
    _rows: Callable[[], np.ndarray]  # the matching rows with a point inside it, on demand

    @property
    def total(self) -> int:
        return int(self.by_class.sum())

    def newest(self, index: PointIndex, limit: int) -> np.ndarray:
        """Positions of the ``limit`` newest matching appeals (list order)."""
        return np.sort(index.by_loc[self._rows()])[:limit]


class _Plain:
    """The index's arrays as plain ndarrays: numpy's memmap subclass (a shared index is
    mapped from files) would add Python work to every slice and result of a request."""

    def __init__(self, index: PointIndex) -> None:
        self._index = index
        self.size = index.size
        self.locations = index.locations

    def __getattr__(self, name: str):
        value = getattr(self._index, name)
        value = np.asarray(value) if isinstance(value, np.ndarray) else value
        setattr(self, name, value)
        return value


def view_rows(index: PointIndex, filters: AppealFilters, now: datetime) -> ViewRows:
    """Matching appeals inside ``filters.bbox`` (everywhere when None), by location.

    Counted per location and class straight from the slice's keys (location × base class);
    only open appeals can be overdue, so only they are looked at one by one.
    """
    index = _Plain(index)  # type: ignore[assignment]
    first, last, inside = _location_run(index, filters.bbox)
    chosen = matching(index, filters, now, int(index.loc_start[first]), int(index.loc_start[last]))
    width = len(MARKER_CLASSES)
    cells = (last - first) * width
    table = chosen.key_counts(index.s_key, index.key_start, first * width, last * width)
    low, high = np.searchsorted(index.s_open, [chosen.start, chosen.stop]).tolist()
    opened = chosen.among(index.s_open[low:high])
    late = opened[index.s_open_due[opened] < int(now.timestamp())]
    moved = index.s_key[late] - first * width  # counted in their base class: now overdue
    table -= np.bincount(moved, minlength=cells)
    table += np.bincount(moved - moved % width + OVERDUE_CLASS, minlength=cells)
    table = table.reshape(last - first, width)
    if inside is not None:
        table[~inside] = 0
    held = np.flatnonzero(table.sum(axis=1))
    without = matching(index, filters, now, int(index.by_loc.size), index.size).count()

    def rows() -> np.ndarray:
        found = chosen.rows()
        return found[inside[index.s_key[found] // width - first]] if inside is not None else found

    return ViewRows(first + held, table[held], without, rows)


@dataclass
class Selection:
    """Some of the rows ``start``…``stop`` of the spatial order: a mask over them while
    many match, their numbers once few do (then read one by one), or all (both None).

    A mask is never used to pick values out of a column: picking by a scattered mask
    costs several times a comparison over the whole slice (counts are summed key by key
    over the mask instead).
    """

    start: int
    stop: int
    mask: np.ndarray | None = None
    numbers: np.ndarray | None = None

    def narrow(self, column: np.ndarray, compare: Callable, value: int) -> None:
        """Keep the rows whose value in ``column`` compares true with ``value``."""
        if self.numbers is not None:
            self.numbers = self.numbers[compare(column[self.numbers], value)]
            return
        hit = compare(column[self.start : self.stop], value)
        self.mask = hit if self.mask is None else np.logical_and(self.mask, hit, out=hit)
        if np.count_nonzero(self.mask) * FEW <= self.mask.size:
            self.numbers, self.mask = np.flatnonzero(self.mask) + self.start, None

    def key_counts(self, keys: np.ndarray, key_start: np.ndarray, low: int, high: int):
        """Selected rows per key ``low``…``high - 1`` of ``keys``, ascending over the rows
        (PointIndex.s_key; rows ``key_start[k]``…``key_start[k + 1]`` hold key k)."""
        if self.numbers is not None:
            return np.bincount(keys[self.numbers] - low, minlength=high - low)
        bounds = key_start[low : high + 1]
        if self.mask is None:
            return np.diff(bounds)
        # Summed key by key in place: no temporary as long as the slice (a fresh one costs
        # its page faults on every request). reduceat sums from each start to the next
        # (the last to the end) but gives an empty key its first element: set to 0 after.
        starts = bounds - self.start
        inner = int(np.searchsorted(starts[:-1], self.mask.size))  # keys starting inside
        counts = np.zeros(starts.size - 1, dtype=np.int64)
        if inner:
            counts[:inner] = np.add.reduceat(self.mask, starts[:inner], dtype=np.int64)
        counts[starts[:-1] == starts[1:]] = 0
        return counts

    def rows(self) -> np.ndarray:
        if self.numbers is not None:
            return self.numbers
        every = np.arange(self.start, self.stop)
        return every if self.mask is None else every[self.mask]

    def count(self) -> int:
        if self.numbers is not None:
            return int(self.numbers.size)
        return self.stop - self.start if self.mask is None else int(np.count_nonzero(self.mask))

    def among(self, rows: np.ndarray) -> np.ndarray:
        """Those of ``rows`` (ascending, within the slice) that are selected."""
        if self.numbers is not None:
            at = np.minimum(np.searchsorted(self.numbers, rows), max(self.numbers.size - 1, 0))
            return rows[self.numbers[at] == rows] if self.numbers.size else rows[:0]
        return rows if self.mask is None else rows[self.mask[rows - self.start]]


#: Below one row in FEW matching, the selection reads the rows one by one.
FEW = 8
#: Filters on columns with many values narrow the most: compared first.
ORDER = ("category", "service", "open_due", "district", "status", "appeal_kind", "submitted")


def matching(
    index: PointIndex, filters: AppealFilters, now: datetime, start: int, stop: int
) -> Selection:
    """The rows ``start``…``stop`` of the spatial order that match the filters but bbox."""
    chosen = Selection(start, stop)
    found = conditions(index, filters, now)
    found.sort(key=lambda c: ORDER.index(c[0]) if c[0] in ORDER else len(ORDER))
    for column, compare, value in found:
        chosen.narrow(getattr(index, f"s_{column}"), compare, value)
    if filters.q:  # text search last, on what the other filters left
        rows = chosen.rows()
        found = index.search_mask(filters.q)  # by position, kept for the minute
        chosen.mask, chosen.numbers = None, rows[found[_positions(index, rows)]]
    return chosen


def _positions(index: PointIndex, rows: np.ndarray) -> np.ndarray:
    """Positions (list order) of rows of the spatial order."""
    located = index.by_loc.size
    with_point = rows < located
    out = np.empty(rows.size, dtype=np.int64)
    out[with_point] = index.by_loc[rows[with_point]]
    out[~with_point] = index.without_point[rows[~with_point] - located]
    return out


def _location_run(index: PointIndex, bbox) -> tuple[int, int, np.ndarray | None]:
    """Location numbers ``first``…``last`` that can lie inside ``bbox`` (by their x) and,
    for a bbox, which of them do (the same test as ``PointIndex.locations_in``)."""
    if bbox is None:
        return 0, index.locations, None
    min_lon, min_lat, max_lon, max_lat = bbox
    x, _ = mercator(lat=np.zeros(2), lon=np.array([min_lon, max_lon]))
    scale = float(2**PIXEL_BITS)
    # A pixel either side: the index rounded its own longitudes the same way, but its
    # locations keep the first appeal's exact longitude.
    low, high = (np.clip(x * scale, 0, scale - 1) // 1).tolist()
    first = int(np.searchsorted(index.loc_px, low - 1, side="left"))
    last = int(np.searchsorted(index.loc_px, high + 1, side="right"))
    lat, lon = index.loc_lat[first:last], index.loc_lon[first:last]
    inside = (lat >= min_lat) & (lat <= max_lat) & (lon >= min_lon) & (lon <= max_lon)
    return first, last, inside
