"""What the map shows for one viewport: clusters, individual appeals or hot-spot cells.

Everything is computed from the in-process PointIndex (portal.queries.map_index); only the
few appeals shown individually are read from the database, through the public SELECT.
The payloads are GeoJSON FeatureCollections with a ``meta`` member (counts, mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from opendata.records import AppealRecord
from portal.models import utcnow
from portal.queries.appeals import public_appeals_by_ids
from portal.queries.map_index import (
    MARKER_CLASSES,
    OPEN_CODES,
    PointIndex,
    first_ids,
    ids_in_order,
    inverse_mercator,
    marker_class,
    point_index,
)
from portal.schemas.filters import AppealFilters
from portal.workdays import BISHKEK

#: From this zoom on, appeals are shown one by one (at most ``point_limit``).
POINT_ZOOM = 16
#: Below POINT_ZOOM, a view with at most this many appeals is shown one by one too.
POINTS_BELOW = 150
#: Individual appeals returned at most per view ("N more — zoom in" beyond).
POINT_LIMIT = 300
#: Cluster cell size in screen pixels, and hot-spot cell size.
CLUSTER_CELL_PX = 64
HEAT_CELL_PX = 24
#: Hot-spot cells with fewer appeals than this are suppressed (privacy and noise).
HEAT_MIN_COUNT = 5


@dataclass(frozen=True)
class MapSettings:
    point_zoom: int = POINT_ZOOM
    points_below: int = POINTS_BELOW
    point_limit: int = POINT_LIMIT


def point_geometry(*, lat: float, lon: float) -> dict:
    """A GeoJSON Point; the only place the map payloads write [lon, lat]."""
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _local_iso(value: datetime | None) -> str | None:
    return value.astimezone(BISHKEK).isoformat(timespec="seconds") if value else None


def appeal_feature(record: AppealRecord, now: datetime) -> dict:
    """One appeal as a map feature (public fields only, codes not names)."""
    overdue = record.status in ("published", "acknowledged", "in_progress", "reopened") and (
        record.due_at < now
    )
    return {
        "type": "Feature",
        "geometry": point_geometry(lat=record.lat, lon=record.lon),
        "properties": {
            "id": record.public_id,
            "status": record.status,
            "class": marker_class(record.status, overdue),
            "overdue": overdue,
            "city": record.city,
            "category": record.category,
            "service": record.service,
            "district": record.district,
            "submitted": _local_iso(record.submitted_at),
            "due": _local_iso(record.due_at),
            "answered": _local_iso(record.first_answer_at),
            "score": record.last_score,
            "precision_m": record.precision_m,
        },
    }


def _grid(index: PointIndex, positions: np.ndarray, zoom: int, cell_px: int):
    """Group points into square screen cells: (cell number per point, number of cells)."""
    scale = 256.0 * (2.0**zoom) / cell_px
    gx = np.floor(index.x[positions] * scale).astype(np.int64)
    gy = np.floor(index.y[positions] * scale).astype(np.int64)
    if gx.size == 0:
        return np.zeros(0, dtype=np.int64), 0
    gx -= gx.min()
    gy -= gy.min()
    width = int(gx.max()) + 1
    keys = gy * width + gx
    if width * (int(gy.max()) + 1) <= 4_000_000:
        return keys, width * (int(gy.max()) + 1)
    unique, dense = np.unique(keys, return_inverse=True)
    return dense.astype(np.int64), int(unique.size)


def _centroids(index: PointIndex, positions: np.ndarray, keys: np.ndarray, cells: int):
    counts = np.bincount(keys, minlength=cells)
    occupied = np.flatnonzero(counts)
    sum_x = np.bincount(keys, weights=index.x[positions], minlength=cells)[occupied]
    sum_y = np.bincount(keys, weights=index.y[positions], minlength=cells)[occupied]
    n = counts[occupied]
    lat, lon = inverse_mercator(x=sum_x / n, y=sum_y / n)
    return occupied, n, lat, lon


def _collection(features: list[dict], meta: dict) -> dict:
    return {"type": "FeatureCollection", "meta": meta, "features": features}


def map_view(
    filters: AppealFilters,
    *,
    zoom: int,
    settings: MapSettings | None = None,
    now: datetime | None = None,
) -> dict:
    """Clusters (counts per screen cell) or individual appeals for one viewport."""
    settings = settings or MapSettings()
    now = now or utcnow()
    index = point_index()
    matching = index.mask(replace(filters, bbox=None), now)
    without_location = int(np.count_nonzero(matching & ~index.has_point))
    in_view = matching & index.in_bbox(filters.bbox)
    total = int(np.count_nonzero(in_view))
    meta = {"zoom": zoom, "total": total, "without_location": without_location}
    if zoom >= settings.point_zoom or total <= settings.points_below:
        ids = first_ids(index, in_view, 0, settings.point_limit)
        records = ids_in_order(ids, public_appeals_by_ids(ids))
        features = [appeal_feature(r, now) for r in records if r.lat is not None]
        meta.update(mode="points", shown=len(features), more=max(total - len(ids), 0))
        return _collection(features, meta)
    positions = np.flatnonzero(in_view)
    keys, cells = _grid(index, positions, zoom, CLUSTER_CELL_PX)
    occupied, counts, lat, lon = _centroids(index, positions, keys, cells)
    classes = index.classes(now)[positions]
    by_class = np.bincount(
        keys * len(MARKER_CLASSES) + classes, minlength=cells * len(MARKER_CLASSES)
    ).reshape(cells, len(MARKER_CLASSES))[occupied]
    features = [
        {
            "type": "Feature",
            "geometry": point_geometry(lat=float(lat[i]), lon=float(lon[i])),
            "properties": {
                "count": int(counts[i]),
                "classes": {
                    name: int(n) for name, n in zip(MARKER_CLASSES, by_class[i], strict=True) if n
                },
            },
        }
        for i in range(occupied.size)
    ]
    meta.update(mode="clusters", shown=0, more=total, clusters=len(features))
    return _collection(features, meta)


def heat_view(filters: AppealFilters, *, zoom: int, now: datetime | None = None) -> dict:
    """Hot spots: appeals per small screen cell, cells under HEAT_MIN_COUNT suppressed."""
    now = now or utcnow()
    index = point_index()
    in_view = index.mask(filters, now) & index.has_point
    positions = np.flatnonzero(in_view)
    keys, cells = _grid(index, positions, zoom, HEAT_CELL_PX)
    occupied, counts, lat, lon = _centroids(index, positions, keys, cells)
    keep = counts >= HEAT_MIN_COUNT
    top = int(counts[keep].max()) if keep.any() else 0
    features = [
        {
            "type": "Feature",
            "geometry": point_geometry(lat=float(lat[i]), lon=float(lon[i])),
            "properties": {"count": int(counts[i])},
        }
        for i in np.flatnonzero(keep)
    ]
    meta = {
        "mode": "heat",
        "zoom": zoom,
        "total": int(positions.size),
        "max": top,
        "min_count": HEAT_MIN_COUNT,
        "suppressed_cells": int(np.count_nonzero(~keep)),
    }
    return _collection(features, meta)


@dataclass(frozen=True)
class Headline:
    """Headline figures of the home page, over a stated window."""

    open_now: int
    overdue_now: int
    window_days: int
    received: int
    answered: int
    answered_on_time: int
    rated: int
    mean_score: float | None

    @property
    def on_time_share(self) -> float | None:
        return self.answered_on_time / self.answered if self.answered else None


def headline(filters: AppealFilters, *, window_days: int = 365, now: datetime | None = None):
    """Open and overdue appeals now; answers on time and mean rating over the window."""
    now = now or utcnow()
    index = point_index()
    matching = index.mask(filters, now)
    open_now = matching & np.isin(index.status, OPEN_CODES)
    recent = matching & (index.submitted >= now.timestamp() - window_days * 86400)
    answered = recent & (index.on_time >= 0)
    rated = recent & (index.score > 0)
    n_rated = int(np.count_nonzero(rated))
    return Headline(
        open_now=int(np.count_nonzero(open_now)),
        overdue_now=int(np.count_nonzero(open_now & index.overdue(now))),
        window_days=window_days,
        received=int(np.count_nonzero(recent)),
        answered=int(np.count_nonzero(answered)),
        answered_on_time=int(np.count_nonzero(answered & (index.on_time == 1))),
        rated=n_rated,
        mean_score=float(index.score[rated].mean()) if n_rated else None,
    )


def count_matching(filters: AppealFilters, now: datetime | None = None) -> int:
    """How many public appeals match the filters (with or without a point)."""
    index = point_index()
    return int(np.count_nonzero(index.mask(filters, now or utcnow())))


def page_of_appeals(
    filters: AppealFilters, *, page: int, per_page: int, now: datetime | None = None
) -> tuple[list[AppealRecord], int]:
    """One page of matching appeals, newest first, and the total number of matches."""
    index = point_index()
    matching = index.mask(filters, now or utcnow())
    total = int(np.count_nonzero(matching))
    ids = first_ids(index, matching, (page - 1) * per_page, per_page)
    return ids_in_order(ids, public_appeals_by_ids(ids)), total


def pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))
