"""Map views read from the index's spatial order (portal.queries.map_slices) answer exactly
what the plain query and the per-filter masks answer, for any combination of filters."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appeal, AppealStatus, utcnow
from portal.queries.appeals import public_appeals_select, to_record
from portal.queries.filters import apply_filters
from portal.queries.map_index_cache import point_index
from portal.queries.map_index_load import build_index, refresh_index
from portal.queries.map_slices import Selection, view_rows
from portal.schemas.filters import AppealFilters

STATUSES = ("published", "in_progress", "answered", "closed", "reopened", "submitted")
CATEGORIES = ("pothole", "street_light", "social_help")  # social_help: never placed
BOXES = (
    None,
    (74.48, 42.80, 74.72, 42.93),  # Bishkek
    (74.55, 42.84, 74.60, 42.87),  # a few streets
    (72.70, 40.45, 72.90, 40.60),  # Osh
    (74.5801, 42.8501, 74.5839, 42.8539),  # one cell of the grid below
)


@pytest.fixture
def city(make_appeal):
    """60 appeals of two cities on a grid where some share a point, of every status,
    category and age (so some open ones are late and some have no published point)."""
    now, rng = utcnow(), random.Random(20)
    for i in range(60):
        osh = i % 6 == 0
        make_appeal(
            city="osh" if osh else "bishkek",
            category=CATEGORIES[i % 3],
            status=STATUSES[i % len(STATUSES)],
            submitted_at=now - timedelta(days=rng.randrange(1, 120), hours=rng.randrange(24)),
            lat=(40.52 if osh else 42.85) + 0.004 * (i % 7),
            lon=(72.78 if osh else 74.58) + 0.004 * (i % 5),
        )


def random_filters(rng: random.Random) -> AppealFilters:
    """Up to three random filters (of every kind the map takes) and a random bbox."""
    start = utcnow().date() - timedelta(days=rng.randrange(130))
    choices = {
        "city": lambda: rng.choice(("bishkek", "osh")),
        "category": lambda: rng.choice(CATEGORIES),
        "status": lambda: rng.choice(STATUSES[:5]),
        "district": lambda: rng.choice(("leninsky", "sverdlovsky", "no-such-district")),
        "date_from": lambda: start,
        "date_to": lambda: start + timedelta(days=rng.randrange(60)),
        "overdue": lambda: True,
        "q": lambda: "яма",
        "kind": lambda: rng.choice(("problem", "question")),
    }
    chosen = rng.sample(sorted(choices), rng.randrange(4))
    return AppealFilters(bbox=rng.choice(BOXES), **{name: choices[name]() for name in chosen})


def plain_query(filters: AppealFilters) -> tuple[set[str], int]:
    """Public ids of the matching appeals with a point inside the bbox, and the number of
    matching appeals without a point (anywhere), by the SQL of the lists and downloads."""
    query = apply_filters(public_appeals_select(), replace(filters, bbox=None))
    records = [to_record(row) for row in db.session.execute(query)]
    placed = {r.public_id for r in records if r.lat is not None}
    if filters.bbox:
        query = apply_filters(public_appeals_select(), filters)
        placed = {to_record(row).public_id for row in db.session.execute(query)}
    return placed, sum(r.lat is None for r in records)


def test_a_view_holds_exactly_what_the_plain_query_selects(app, city):
    index, now, rng = point_index(), utcnow(), random.Random(7)
    found = []
    for _ in range(40):
        filters = random_filters(rng)
        placed, unplaced = plain_query(filters)
        found.append(len(placed))
        view = view_rows(index, filters, now)
        positions = view.newest(index, index.size)
        assert {p.decode() for p in index.public_id[positions].tolist()} == placed, filters
        assert view.total == len(placed)
        assert view.without_location == unplaced, filters
        assert np.all(np.diff(positions) > 0)  # newest first, as the lists
    assert sum(n > 0 for n in found) >= 10  # the random filters were not all empty


def test_a_view_counts_per_location_and_class_as_the_per_filter_tables(app, city):
    index, now, rng = point_index(), utcnow(), random.Random(8)
    for _ in range(60):
        filters = random_filters(rng)
        locations = index.locations_in(filters.bbox)
        by_class = index.classes_in(filters, now, locations)
        held = by_class.sum(axis=1) > 0
        view = view_rows(index, filters, now)
        assert np.array_equal(view.locations, locations[held]), filters
        assert np.array_equal(view.by_class, by_class[held]), filters
        assert view.without_location == index.count_without_point(filters, now)
    assert view_rows(index, AppealFilters(overdue=True), now).by_class[:, 3].sum() > 0


@pytest.mark.parametrize("layer", ["appeals", "heat"])
def test_map_responses_are_byte_for_byte_those_of_the_reference(app, client, city, layer):
    rng = random.Random(9)
    app.config["MAP_POINTS_BELOW"] = 3  # clusters as well as points at these small numbers
    for _ in range(30):
        args = random_filters(rng).query_args()
        args.update(zoom=str(rng.choice((11, 13, 15, 17))), layer=layer)
        bodies = []
        for slices in (True, False):
            app.config["MAP_VIEW_SLICES"] = slices
            response = client.get("/api/v1/map", query_string=args)
            assert response.status_code == 200, response.data
            bodies.append(response.data)
        assert bodies[0] == bodies[1], args


def test_a_new_appeal_and_a_transition_appear_on_the_map(client, make_appeal, make_answer):
    url = "/api/v1/map?zoom=11&bbox=74.48,42.80,74.72,42.93"
    first = make_appeal(lat=42.85, lon=74.58)
    assert client.get(url).json["meta"]["total"] == 1
    make_appeal(lat=42.87, lon=74.60, status=AppealStatus.IN_PROGRESS)
    make_answer(first)
    features = client.get(url).json["features"]
    assert {f["properties"]["status"] for f in features} == {"answered", "in_progress"}


def test_an_incremental_refresh_keeps_the_spatial_order_of_a_full_rebuild(
    app, city, make_appeal, make_answer
):
    before = build_index(db.engine)
    make_appeal(lat=42.86, lon=74.59)
    make_answer(db.session.scalars(select(Appeal).where(Appeal.status == "published")).first())
    refreshed, rebuilt = refresh_index(db.engine, before), build_index(db.engine)
    assert refreshed.size == rebuilt.size == before.size + 1
    for name in [f for f in vars(rebuilt) if f.startswith("s_")] + ["by_loc", "loc_start"]:
        assert np.array_equal(getattr(refreshed, name), getattr(rebuilt, name)), name


@pytest.mark.parametrize("size", [1, 9, 300])
def test_counts_per_key_are_those_of_a_plain_count_whatever_is_selected(size):
    rng = np.random.default_rng(size)
    keys = np.sort(rng.integers(3, 40, size))  # empty keys before, among and after
    key_start = np.searchsorted(keys, np.arange(51))
    for low, high in ((0, 50), (3, 40), (int(keys[-1]), 50), (int(keys[0]), int(keys[0]) + 1)):
        start, stop = int(key_start[low]), int(key_start[high])
        mask = rng.random(stop - start) < 0.7
        rows = np.flatnonzero(mask) + start
        for chosen, picked in (
            (Selection(start, stop), np.arange(start, stop)),
            (Selection(start, stop, mask=mask), rows),
            (Selection(start, stop, numbers=rows), rows),
        ):
            expected = np.bincount(keys[picked] - low, minlength=high - low)[: high - low]
            assert np.array_equal(chosen.key_counts(keys, key_start, low, high), expected)
