"""Duplicate suggestions: open appeals of the same category near a point, recent enough.

Read from the public record only (``portal.queries.record.APPEAL``), and measured from the
*published* (masked) point, never the exact one: what the resident sees is what anyone can
already download. Sensitive categories publish no point and are therefore never suggested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from opendata.records import AppealRecord
from portal.extensions import db
from portal.models import OPEN_STATUSES, Appeal, Category, City, utcnow
from portal.queries.appeals import to_record
from portal.queries.record import APPEAL
from portal.schemas.nearby import NearbyQuery

#: How far (metres) from the chosen point an appeal is still suggested as the same problem.
DUPLICATE_RADIUS_M = 150
#: How recent (days since submission) a suggested appeal must be.
DUPLICATE_WINDOW_DAYS = 60
#: At most this many suggestions, nearest first.
DUPLICATE_LIMIT = 5

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Suggestion:
    record: AppealRecord
    distance_m: int


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def nearby_open_appeals(
    query: NearbyQuery,
    *,
    radius_m: float = DUPLICATE_RADIUS_M,
    days: int = DUPLICATE_WINDOW_DAYS,
    limit: int = DUPLICATE_LIMIT,
    now: datetime | None = None,
) -> list[Suggestion]:
    """Open, published appeals of ``query.category`` in ``query.city`` whose published
    point lies within ``radius_m`` of (lat, lon), submitted in the last ``days`` days."""
    now = now or utcnow()
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(0.01, math.cos(math.radians(query.lat))))
    sql = (
        APPEAL.select()
        .where(
            Appeal.status.in_(OPEN_STATUSES),
            City.slug == query.city,
            Category.code == query.category,
            Appeal.submitted_at >= now - timedelta(days=days),
            Appeal.public_lat.between(query.lat - dlat, query.lat + dlat),
            Appeal.public_lon.between(query.lon - dlon, query.lon + dlon),
        )
        .order_by(Appeal.id)
        .limit(200)  # a bounding box of ±150 m: more than this is a flood, not a list
    )
    found = []
    for row in db.session.execute(sql):
        record = to_record(row)
        gap = distance_m(query.lat, query.lon, record.lat, record.lon)
        if gap <= radius_m:
            found.append(Suggestion(record, round(gap)))
    found.sort(key=lambda s: (s.distance_m, s.record.public_id))
    return found[:limit]


__all__ = ["DUPLICATE_RADIUS_M", "DUPLICATE_WINDOW_DAYS", "Suggestion", "nearby_open_appeals"]
