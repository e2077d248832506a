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
from sqlalchemy import func, select

from opendata.records import AppealRecord
from portal.extensions import db
from portal.models import StatusEvent, utcnow
from portal.queries.appeals import public_appeals_by_ids
from portal.queries.map_clusters import CLUSTER_CELL_PX as CLUSTER_CELL_PX  # the map's
from portal.queries.map_clusters import HEAT_CELL_PX, cluster_cells, grid
from portal.queries.map_index import (
    MARKER_CLASSES,
    NEVER,
    STATUS_CODES,
    PointIndex,
    first_ids,
    ids_in_order,
)
from portal.queries.map_index_cache import point_index
from portal.queries.map_slices import view_rows
from portal.schemas.filters import AppealFilters

#: From this zoom on, appeals are shown one by one (at most ``point_limit``).
POINT_ZOOM = 16
#: Below POINT_ZOOM, a view with at most this many appeals is shown one by one too.
POINTS_BELOW = 150
#: Individual appeals returned at most per view ("N more — zoom in" beyond).
POINT_LIMIT = 300
#: Hot-spot cells with fewer appeals than this are suppressed (privacy and noise).
HEAT_MIN_COUNT = 5


@dataclass(frozen=True)
class MapSettings:
    point_zoom: int = POINT_ZOOM
    points_below: int = POINTS_BELOW
    point_limit: int = POINT_LIMIT
    slices: bool = True  # read views from the index's spatial order (MAP_VIEW_SLICES)


def point_geometry(*, lat: float, lon: float) -> dict:
    """A GeoJSON Point; the only place the map payloads write [lon, lat]."""
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


#: Asia/Bishkek has kept UTC+06:00 all year since 2005: local times are a fixed shift.
LOCAL_OFFSET_S = 6 * 3600


def _local_iso(seconds: np.ndarray) -> list[str | None]:
    """Epoch seconds as ISO 8601 local (Asia/Bishkek) times; None for negative values."""
    text = np.datetime_as_string((seconds + LOCAL_OFFSET_S).astype("datetime64[s]"))
    return [None if s < 0 else f"{t}+06:00" for s, t in zip(seconds.tolist(), text, strict=True)]


def appeal_features(index: PointIndex, positions: np.ndarray, now: datetime) -> list[dict]:
    """Appeals as map features, straight from the index (public fields only, codes only)."""
    categories, services = index.names["category"], index.names["service"]
    overdue = (index.open_due[positions] < int(now.timestamp())).tolist()
    classes = index.classes_at(positions, now).tolist()
    columns = zip(
        index.lat[positions].round(6).tolist(),
        index.lon[positions].round(6).tolist(),
        index.public_id[positions].astype(str).tolist(),
        index.status[positions].tolist(),
        classes,
        overdue,
        index.category[positions].tolist(),
        index.service[positions].tolist(),
        _local_iso(index.submitted[positions]),
        _local_iso(index.due[positions]),
        _local_iso(index.first_answer[positions]),
        index.score[positions].tolist(),
        index.precision[positions].tolist(),
        strict=True,
    )
    return [
        {
            "type": "Feature",
            "geometry": point_geometry(lat=lat, lon=lon),
            "properties": {
                "id": public_id,
                "status": STATUS_CODES[status],
                "class": MARKER_CLASSES[cls],
                "overdue": late,
                "category": categories[category],
                "service": services[service],
                "submitted": submitted,
                "due": due,
                "answered": answered,
                "score": score or None,
                "precision_m": precision or None,
            },
        }
        for (lat, lon, public_id, status, cls, late, category, service, submitted, due,
             answered, score, precision) in columns
    ]  # fmt: skip


def _collection(features: list[dict], meta: dict) -> dict:
    return {"type": "FeatureCollection", "meta": meta, "features": features}


def _points(index: PointIndex, filters: AppealFilters, now: datetime, locations, limit: int):
    """Positions (newest first) of the matching appeals at ``locations``, and their number."""
    candidates = index.positions_at(locations)
    matching = candidates[index.mask_at(replace(filters, bbox=None), now, candidates)]
    return matching[:limit], int(matching.size)


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
    if not settings.slices:
        return _map_view_masks(index, filters, zoom, settings, now)
    view = view_rows(index, filters, now)
    if zoom >= settings.point_zoom or view.total <= settings.points_below:
        positions = view.newest(index, settings.point_limit)
        return _points_collection(index, positions, view.total, view.without_location, zoom, now)
    meta = {"zoom": zoom, "total": view.total, "without_location": view.without_location}
    return _clusters_collection(index, view.locations, view.by_class, meta)


def _map_view_masks(index, filters, zoom: int, settings: MapSettings, now) -> dict:
    """``map_view`` from per-filter masks and tables (the reference that the spatial
    slices replaced; MAP_VIEW_SLICES off)."""
    locations = index.locations_in(filters.bbox)
    if zoom >= settings.point_zoom:
        positions, total = _points(index, filters, now, locations, settings.point_limit)
        without_location = index.count_without_point(filters, now)
        return _points_collection(index, positions, total, without_location, zoom, now)
    without_location = index.count_without_point(filters, now)
    by_class = index.classes_in(filters, now, locations)
    counts = by_class.sum(axis=1)
    total = int(counts.sum())
    if total <= settings.points_below:
        positions, total = _points(index, filters, now, locations, settings.point_limit)
        return _points_collection(index, positions, total, without_location, zoom, now)
    keep = counts > 0
    meta = {"zoom": zoom, "total": total, "without_location": without_location}
    return _clusters_collection(index, locations[keep], by_class[keep], meta)


def _clusters_collection(index, locations, by_class, meta: dict) -> dict:
    """Clusters of the given locations (each holding a match) as a FeatureCollection."""
    n, lat, lon, per_class = cluster_cells(index, locations, by_class, meta["zoom"])
    features = [_cluster(n[i], lat[i], lon[i], per_class[i]) for i in range(n.size)]
    meta.update(mode="clusters", shown=0, more=meta["total"], clusters=len(features))
    return _collection(features, meta)


def _cluster(count, lat, lon, per_class) -> dict:
    """One cluster as a GeoJSON feature: its count and its count per marker class."""
    classes = {name: int(v) for name, v in zip(MARKER_CLASSES, per_class, strict=True) if v}
    return {
        "type": "Feature",
        "geometry": point_geometry(lat=float(lat), lon=float(lon)),
        "properties": {"count": int(count), "classes": classes},
    }


def _points_collection(index, positions, total: int, without_location: int, zoom: int, now):
    features = appeal_features(index, positions, now)
    meta = {"zoom": zoom, "total": total, "without_location": without_location}
    meta.update(mode="points", shown=len(features), more=total - len(features))
    return _collection(features, meta)


def heat_view(
    filters: AppealFilters, *, zoom: int, now: datetime | None = None, slices: bool = True
) -> dict:
    """Hot spots: appeals per small screen cell, cells under HEAT_MIN_COUNT suppressed.
    (``slices``: as in MapSettings.)"""
    now = now or utcnow()
    index = point_index()
    if slices:
        view = view_rows(index, filters, now)
        locations, counts = view.locations, view.by_class.sum(axis=1)
    else:
        locations = index.locations_in(filters.bbox)
        counts = index.classes_in(filters, now, locations).sum(axis=1)
    keep = counts > 0
    n, lat, lon, _, _ = grid(index, locations[keep], counts[keep], zoom, HEAT_CELL_PX)
    shown = n >= HEAT_MIN_COUNT
    features = [
        {
            "type": "Feature",
            "geometry": point_geometry(lat=float(lat[i]), lon=float(lon[i])),
            "properties": {"count": int(n[i])},
        }
        for i in np.flatnonzero(shown)
    ]
    meta = {
        "mode": "heat",
        "zoom": zoom,
        "total": int(counts.sum()),
        "max": int(n[shown].max()) if shown.any() else 0,
        "min_count": HEAT_MIN_COUNT,
        "suppressed_cells": int(np.count_nonzero(~shown)),
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
    open_now = matching & (index.open_due < NEVER)
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


def data_as_of() -> datetime | None:
    """The one "data as of" of every page, the API and /datasets: when the public record
    last changed (its newest status event by time; every change appends one), never later
    than now.

    None before the first appeal. The map's index follows that event within seconds.
    """
    changed = db.session.scalar(select(func.max(StatusEvent.created_at)))
    return min(changed, utcnow()) if changed is not None else None


def count_matching(filters: AppealFilters, now: datetime | None = None) -> int:
    """How many public appeals match the filters (with or without a point)."""
    index = point_index()
    return int(np.count_nonzero(index.mask(filters, now or utcnow())))


def page_of_appeals(
    filters: AppealFilters, *, page: int, per_page: int, now: datetime | None = None
) -> tuple[list[AppealRecord], int]:
    """One page of matching appeals, newest first — most relevant first when searching
    (``q``: portal.queries.search ranks) — and the total number of matches."""
    index = point_index()
    matching = index.mask(filters, now or utcnow())
    total = int(np.count_nonzero(matching))
    offset = (page - 1) * per_page
    ranked = index.search(filters.q).ranked if filters.q else None
    if ranked is not None:  # most relevant first (few enough matches: queries.search)
        kept = index.positions_of(ranked)
        kept = kept[matching[kept]]
        ids = [int(i) for i in index.ids[kept[offset : offset + per_page]]]
    else:
        ids = first_ids(index, matching, offset, per_page)
    return ids_in_order(ids, public_appeals_by_ids(ids)), total


def list_order(filters: AppealFilters) -> str:
    """How page_of_appeals orders ``filters``' matches: "newest" first, or by "relevance"
    (a search whose words match at most queries.search.RANKED_MAX appeals)."""
    if filters.q and point_index().search(filters.q).ranked is not None:
        return "relevance"
    return "newest"


def pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))
