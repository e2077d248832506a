"""An area drawn on the map: read and check a polygon, and tell whether a point lies in it.

The resident's polygon arrives as a GeoJSON Polygon geometry (one outer ring of
``[lon, lat]`` pairs). It is private data: stored as a compact ring in
``alert_subscriptions.private_area`` and read only by the alerts' fan-out. Plain Python,
no geometry library: at most ``MAX_VERTICES`` corners, so the quadratic checks are cheap.
"""

from __future__ import annotations

import json
import math

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

#: Corners a drawn area may have (a triangle at least; a hundred is plenty for a quarter).
MIN_VERTICES, MAX_VERTICES = 3, 100
#: The longest accepted input (a hundred corners of ``[74.123456,42.123456]`` and change).
MAX_TEXT = 8000
#: Largest area one may follow, in degrees of latitude and longitude (about a city).
MAX_AREA_DEGREES = 0.5

Ring = list[tuple[float, float]]  # (lon, lat) corners, not closed


def _bad(message) -> ValidationError:
    return ValidationError({"area": [str(message)]})


def parse_area(text: str) -> Ring:
    """A GeoJSON Polygon geometry → its ring's corners; a field error on ``area`` when it
    is no polygon, has too few or too many corners, crosses itself or is too large."""
    invalid = _l("Draw the area again: it must be one polygon that does not cross itself.")
    try:
        geometry = json.loads(text) if len(text) <= MAX_TEXT else None
        if not (isinstance(geometry, dict) and geometry.get("type") == "Polygon"):
            raise ValueError("not a Polygon")  # not an assert: ``python -O`` drops those
        (outer,) = geometry["coordinates"]  # one ring: no holes
        ring = [_corner(point) for point in outer]
    except (ValueError, TypeError, KeyError):
        raise _bad(invalid) from None
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()  # GeoJSON closes its rings
    if not MIN_VERTICES <= len(ring) <= MAX_VERTICES:
        raise _bad(
            _l("An area has %(min)s to %(max)s corners.", min=MIN_VERTICES, max=MAX_VERTICES)
        )
    if _twice_area(ring) == 0 or crosses_itself(ring):
        raise _bad(invalid)
    west, south, east, north = ring_box(ring)
    if east - west > MAX_AREA_DEGREES or north - south > MAX_AREA_DEGREES:
        raise _bad(_l("The area is too large; draw a smaller one."))
    return ring


def _corner(point) -> tuple[float, float]:
    lon, lat = point  # a third number (altitude) is refused too
    if not all(type(v) in (int, float) and math.isfinite(v) for v in (lon, lat)):
        raise ValueError("not a number")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError("not on Earth")
    return float(lon), float(lat)


def ring_box(ring: Ring) -> tuple[float, float, float, float]:
    """West, south, east, north of the corners (the fan-out's pre-filter)."""
    lons, lats = [lon for lon, _ in ring], [lat for _, lat in ring]
    return min(lons), min(lats), max(lons), max(lats)


def _edges(ring: Ring) -> list:
    """Each corner with the next one, the last with the first."""
    return list(zip(ring, ring[1:] + ring[:1], strict=True))


def _twice_area(ring: Ring) -> float:
    """The shoelace formula (zero: all corners on one line)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in _edges(ring))


def _turn(a, b, c) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a, b, p) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_meet(a, b, c, d) -> bool:
    """True when segments ab and cd share a point (touching counts)."""
    d1, d2, d3, d4 = _turn(c, d, a), _turn(c, d, b), _turn(a, b, c), _turn(a, b, d)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4):
        return True
    return any(
        turn == 0 and _on_segment(s, e, p)
        for turn, s, e, p in ((d1, c, d, a), (d2, c, d, b), (d3, a, b, c), (d4, a, b, d))
    )


def crosses_itself(ring: Ring) -> bool:
    """True when two edges that are not neighbours meet, or neighbours fold back."""
    edges = _edges(ring)
    count = len(edges)
    for i, (a, b) in enumerate(edges):
        c = edges[(i + 1) % count][1]
        if a == b or (_turn(a, b, c) == 0 and (_on_segment(a, b, c) or _on_segment(b, c, a))):
            return True  # a corner twice, or the next edge runs back along this one
        for j in range(i + 2, count - 1 if i == 0 else count):  # not the neighbours
            if _segments_meet(a, b, *edges[j]):
                return True
    return False


def dump_ring(ring: Ring) -> str:
    """The stored form: compact JSON ``[[lon, lat], …]`` (equal rings compare equal)."""
    return json.dumps([[lon, lat] for lon, lat in ring], separators=(",", ":"))


def load_ring(text: str) -> Ring:
    return [(lon, lat) for lon, lat in json.loads(text)]


def contains(ring: Ring, *, lat: float, lon: float) -> bool:
    """Even–odd ray casting: True when the point lies inside the ring."""
    inside = False
    for (x1, y1), (x2, y2) in _edges(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
