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
    start, stop = int(index.loc_start[first]), int(index.loc_start[last])
    keep = matching(index, filters, now, start, stop)
    width = len(MARKER_CLASSES)
    keys = index.s_key[start:stop]
    keys = keys if keep is None else keys[keep]
    cells = (last - first) * width
    table = np.bincount(keys - first * width, minlength=cells)
    low, high = np.searchsorted(index.s_open, [start, stop]).tolist()
    opened = index.s_open[low:high]
    if keep is not None:
        opened = opened[keep[opened - start]]
    late = opened[index.s_open_due[opened] < int(now.timestamp())]
    moved = index.s_key[late] - first * width  # counted in their base class: now overdue
    table -= np.bincount(moved, minlength=cells)
    table += np.bincount(moved - moved % width + OVERDUE_CLASS, minlength=cells)
    table = table.reshape(last - first, width)
    if inside is not None:
        table[~inside] = 0
    held = np.flatnonzero(table.sum(axis=1))
    tail = matching(index, filters, now, int(index.by_loc.size), index.size)
    without = index.size - int(index.by_loc.size) if tail is None else int(np.count_nonzero(tail))

    def rows() -> np.ndarray:
        found = np.arange(start, stop) if keep is None else np.flatnonzero(keep) + start
        return found[inside[index.s_key[found] // width - first]] if inside is not None else found

    return ViewRows(first + held, table[held], without, rows)


def matching(
    index: PointIndex, filters: AppealFilters, now: datetime, start: int, stop: int
) -> np.ndarray | None:
    """Which rows ``start``…``stop`` of the spatial order match the filters but ``bbox``
    (a mask over them; None: all)."""
    keep = None
    for column, compare, value in conditions(index, filters, now):
        hit = compare(getattr(index, f"s_{column}")[start:stop], value)
        keep = hit if keep is None else np.logical_and(keep, hit, out=keep)
    if filters.q:  # text search last, on what the other filters left
        rows = np.arange(start, stop) if keep is None else np.flatnonzero(keep) + start
        ids = index.ids[_positions(index, rows)]
        keep = np.zeros(stop - start, dtype=bool)
        keep[rows[np.isin(ids, index.search_ids(filters.q))] - start] = True
    return keep


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
