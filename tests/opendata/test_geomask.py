"""Location masking: deterministic, within the tier's precision, inside the city."""

from __future__ import annotations

import math
import random

import pytest

from opendata.geomask import TIER_PRECISION_M, BBox, MaskedPoint, distance_m, mask_point

BISHKEK = BBox(min_lat=42.80, min_lon=74.48, max_lat=42.93, max_lon=74.72)
OSH = BBox(min_lat=40.49, min_lon=72.74, max_lat=40.57, max_lon=72.84)
TIERS = ["public", "home"]


def points_in(city: BBox, count: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [
        (rng.uniform(city.min_lat, city.max_lat), rng.uniform(city.min_lon, city.max_lon))
        for _ in range(count)
    ]


def inside(city: BBox, point: MaskedPoint) -> bool:
    return city.min_lat <= point.lat <= city.max_lat and city.min_lon <= point.lon <= city.max_lon


@pytest.mark.parametrize("tier", ["public", "home"])
def test_masking_is_deterministic(tier):
    for lat, lon in points_in(BISHKEK, 50, seed=1):
        first = mask_point(lat=lat, lon=lon, tier=tier, city=BISHKEK)
        assert all(mask_point(lat=lat, lon=lon, tier=tier, city=BISHKEK) == first for _ in range(3))


@pytest.mark.parametrize("city", [BISHKEK, OSH], ids=["bishkek", "osh"])
@pytest.mark.parametrize("tier", ["public", "home"])
def test_the_published_point_is_within_the_tiers_precision(city, tier):
    """A point moves at most by about the stated precision (clamping only moves it closer).

    The precision is nominal: an H3 cell's corners lie a little further from its centre
    than the average edge, so the bound allows 20 % (measured: ~83 m for the public
    tier's "100 m", ~580 m for the home tier's "500 m" in Bishkek and Osh).
    """
    limit = TIER_PRECISION_M[tier]
    moved = []
    for lat, lon in points_in(city, 2000, seed=TIERS.index(tier)):
        masked = mask_point(lat=lat, lon=lon, tier=tier, city=city)
        assert masked.precision_m == limit
        distance = distance_m(lat, lon, masked.lat, masked.lon)
        assert distance <= limit * 1.2, (lat, lon, masked, distance)
        moved.append(distance)
    # … and it really is generalised: on average the point moves a noticeable share.
    assert sum(moved) / len(moved) > limit / 5


def test_home_tier_is_coarser_than_public_tier():
    home_cells = {
        mask_point(lat=lat, lon=lon, tier="home", city=BISHKEK)
        for lat, lon in points_in(BISHKEK, 300, seed=3)
    }
    public_cells = {
        mask_point(lat=lat, lon=lon, tier="public", city=BISHKEK)
        for lat, lon in points_in(BISHKEK, 300, seed=3)
    }
    assert len(home_cells) < len(public_cells)
    assert TIER_PRECISION_M["home"] > TIER_PRECISION_M["public"]


def test_nearby_points_share_a_published_point():
    """Neighbours in one cell are indistinguishable: that is the point of masking."""
    base = mask_point(lat=42.8746, lon=74.6122, tier="home", city=BISHKEK)
    same = [
        mask_point(lat=42.8746 + d, lon=74.6122 + d, tier="home", city=BISHKEK)
        for d in (0.0001, -0.0001, 0.0002)
    ]
    assert any(point == base for point in same)


@pytest.mark.parametrize("tier", ["public", "home"])
@pytest.mark.parametrize("city", [BISHKEK, OSH], ids=["bishkek", "osh"])
def test_points_at_the_edge_stay_inside_the_city(city, tier):
    edges = []
    for t in [i / 20 for i in range(21)]:
        lat = city.min_lat + t * (city.max_lat - city.min_lat)
        lon = city.min_lon + t * (city.max_lon - city.min_lon)
        edges += [
            (city.min_lat, lon),
            (city.max_lat, lon),
            (lat, city.min_lon),
            (lat, city.max_lon),
        ]
    for lat, lon in edges:
        masked = mask_point(lat=lat, lon=lon, tier=tier, city=city)
        assert inside(city, masked), (lat, lon, masked)


def test_the_result_is_rounded_to_six_decimals():
    masked = mask_point(lat=42.876543, lon=74.598765, tier="public", city=BISHKEK)
    assert masked.lat == round(masked.lat, 6) and masked.lon == round(masked.lon, 6)
    assert (round(masked.lat, 5), round(masked.lon, 5)) != (42.87654, 74.59877)


def test_sensitive_categories_get_no_point():
    assert mask_point(lat=42.8746, lon=74.6122, tier="sensitive", city=BISHKEK) is None


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_coordinates_are_refused(bad):
    with pytest.raises(ValueError):
        mask_point(lat=bad, lon=74.6, tier="public", city=BISHKEK)
    with pytest.raises(ValueError):
        mask_point(lat=42.87, lon=bad, tier="home", city=BISHKEK)


def test_an_unknown_tier_is_refused():
    with pytest.raises(KeyError):
        mask_point(lat=42.8746, lon=74.6122, tier="street", city=BISHKEK)


def test_distance_is_the_haversine_distance():
    assert distance_m(42.87, 74.6, 42.87, 74.6) == 0
    one_degree_lat = distance_m(42.0, 74.6, 43.0, 74.6)
    assert 111_000 < one_degree_lat < 111_400
    assert distance_m(42.87, 74.6, 40.53, 72.8) == pytest.approx(
        distance_m(40.53, 72.8, 42.87, 74.6)
    )
