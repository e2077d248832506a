"""Location masking: publish where a problem is, never where a citizen lives.

A point is snapped to the centre of the H3 cell that contains it. Snapping (unlike random
jitter) is deterministic, so repeated downloads are identical and cannot be averaged back
to the true point; the cell size depends on the category's privacy tier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: H3 resolution and the published precision (metres) of each privacy tier.
#: Resolution 10 cells have ~66 m edges (a point moves at most ~75 m);
#: resolution 8 cells ~460 m edges (a point moves up to ~530 m: "a few hundred metres").
TIER_RESOLUTION = {"public": 10, "home": 8}
TIER_PRECISION_M = {"public": 100, "home": 500}


@dataclass(frozen=True)
class MaskedPoint:
    """A published point and how precise it is (radius in metres)."""

    lat: float
    lon: float
    precision_m: int


@dataclass(frozen=True)
class BBox:
    """A city's extent."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def clamp(self, *, lat: float, lon: float) -> tuple[float, float]:
        """The nearest point inside the box."""
        return (
            min(max(lat, self.min_lat), self.max_lat),
            min(max(lon, self.min_lon), self.max_lon),
        )


def mask_point(*, lat: float, lon: float, tier: str, city: BBox) -> MaskedPoint | None:
    """The published point for an exact point, or None when the tier publishes no point.

    ``tier`` is "public", "home" or "sensitive". The result is rounded to 6 decimals and
    always lies inside ``city``.
    """
    if tier == "sensitive":
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("coordinates must be finite numbers")
    resolution = TIER_RESOLUTION[tier]
    import h3  # on first use: a web worker may never need it

    cell = h3.latlng_to_cell(lat, lon, resolution)
    centre_lat, centre_lon = h3.cell_to_latlng(cell)
    centre_lat, centre_lon = city.clamp(lat=centre_lat, lon=centre_lon)
    return MaskedPoint(round(centre_lat, 6), round(centre_lon, 6), TIER_PRECISION_M[tier])


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    radius = 6_371_000.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))
