"""The public map: self-hosted assets, constant page size, the per-viewport map API."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appeal, AppealStatus, utcnow
from portal.queries.appeals import public_appeals_select, to_record
from portal.queries.filters import apply_filters
from portal.queries.map import CLUSTER_CELL_PX
from portal.queries.map_index import mercator
from portal.queries.map_index_cache import IndexHolder, point_index
from portal.queries.map_index_load import build_index
from portal.schemas.filters import AppealFilters

BISHKEK_BBOX = "74.48,42.80,74.72,42.93"


def spread(make_appeal, n: int, **kwargs) -> list[Appeal]:
    """``n`` appeals on distinct points of a grid in central Bishkek (~200 m apart)."""
    return [
        make_appeal(lat=42.85 + 0.002 * (i // 10), lon=74.58 + 0.002 * (i % 10), **kwargs)
        for i in range(n)
    ]


def test_map_page_uses_only_self_hosted_assets(client):
    page = client.get("/map").get_data(as_text=True)
    sources = re.findall(r'<script[^>]+src="([^"]+)"', page)
    # Assets (stylesheets, icons), not the rel="alternate" feed the page advertises.
    links = re.findall(r'<link(?![^>]*rel="alternate")[^>]+href="([^"]+)"', page)
    assert any(s.endswith("vendor/leaflet/leaflet.js") for s in sources)
    assert any(s.endswith("vendor/leaflet.heat/leaflet-heat.js") for s in sources)
    assert any(s.endswith("js/map.js") for s in sources)
    for url in sources + links:
        assert url.startswith("/static/"), url
    assert "cdn" not in page.lower()
    assert "bootstrap" not in page.lower() and "jquery" not in page.lower()


def test_map_page_uses_the_configured_tiles(make_app):
    app = make_app(TILE_URL="https://tiles.city.kg/{z}/{x}/{y}.png", TILE_ATTRIBUTION="© Мэрия")
    with app.app_context():
        db.create_all()
        from portal.services.reference import install_reference_data

        install_reference_data()
        page = app.test_client().get("/map").get_data(as_text=True)
    assert "https://tiles.city.kg/{z}/{x}/{y}.png" in page
    assert "\\u00a9 \\u041c\\u044d\\u0440\\u0438\\u044f" in page or "© Мэрия" in page


def test_map_page_does_not_grow_with_the_number_of_appeals(client, make_appeal):
    spread(make_appeal, 1)  # so that the page states its "data as of"
    empty = len(client.get("/map").data)
    empty_home = len(client.get("/").data)
    spread(make_appeal, 59)
    full = len(client.get("/map").data)
    assert abs(full - empty) < 50  # only the "data as of" time may change length
    assert len(client.get("/").data) < empty_home + 6_000  # recent answers/figures only
    assert full < 60_000


def test_home_and_map_share_the_map_template(client):
    for url in ("/", "/map"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="map-app"' in page and 'id="map_appeals"' in page
        assert "data-filters" in page


def test_low_zoom_returns_clusters_with_counts_by_status(client, make_appeal, app):
    spread(make_appeal, 30)
    spread(make_appeal, 5, status=AppealStatus.CLOSED)
    app.config["MAP_POINTS_BELOW"] = 0
    response = client.get(f"/api/v1/map?zoom=11&bbox={BISHKEK_BBOX}&city=bishkek")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = response.json
    assert data["meta"]["mode"] == "clusters"
    assert data["meta"]["total"] == 35
    assert sum(f["properties"]["count"] for f in data["features"]) == 35
    classes = {}
    for feature in data["features"]:
        for name, n in feature["properties"]["classes"].items():
            classes[name] = classes.get(name, 0) + n
    assert classes == {"new": 30, "closed": 5}
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 42.8 < lat < 42.93 and 74.48 < lon < 74.72


def test_high_zoom_returns_individual_appeals_capped_with_an_honest_hint(client, make_appeal, app):
    spread(make_appeal, 12)
    app.config["MAP_POINT_LIMIT"] = 5
    data = client.get(f"/api/v1/map?zoom=17&bbox={BISHKEK_BBOX}").json
    assert data["meta"]["mode"] == "points"
    assert data["meta"]["total"] == 12
    assert data["meta"]["shown"] == 5
    assert data["meta"]["more"] == 7
    props = data["features"][0]["properties"]
    assert set(props) >= {"id", "status", "class", "category", "service", "submitted", "due"}
    assert props["class"] == "new"


def test_points_respect_the_bbox_and_the_filters(client, make_appeal):
    inside = make_appeal(lat=42.874, lon=74.612, category="street_light")
    make_appeal(lat=42.874, lon=74.612, category="pothole")
    make_appeal(lat=40.53, lon=72.80, city="osh", category="street_light")
    data = client.get("/api/v1/map?zoom=17&bbox=74.60,42.86,74.62,42.88&category=street_light").json
    assert [f["properties"]["id"] for f in data["features"]] == [inside.public_id]


def test_overdue_appeals_get_the_overdue_class_and_filter(client, make_appeal):
    late = make_appeal(submitted_at=utcnow() - timedelta(days=60), lat=42.87, lon=74.60)
    make_appeal(lat=42.88, lon=74.61)
    data = client.get(f"/api/v1/map?zoom=17&bbox={BISHKEK_BBOX}&overdue=1").json
    assert [f["properties"]["id"] for f in data["features"]] == [late.public_id]
    assert data["features"][0]["properties"]["class"] == "overdue"


def test_sensitive_appeals_are_counted_but_not_placed(client, make_appeal):
    make_appeal(category="social_help")
    make_appeal()
    data = client.get(f"/api/v1/map?zoom=17&bbox={BISHKEK_BBOX}").json
    assert data["meta"]["total"] == 1
    assert data["meta"]["without_location"] == 1


def test_heat_layer_suppresses_cells_with_fewer_than_five_appeals(client, make_appeal):
    for _ in range(6):
        make_appeal(lat=42.874, lon=74.612, category="pothole")
    for _ in range(3):
        make_appeal(lat=42.82, lon=74.50, category="pothole")
    make_appeal(lat=42.82, lon=74.50, category="street_light")
    data = client.get(f"/api/v1/map?zoom=13&bbox={BISHKEK_BBOX}&layer=heat&category=pothole").json
    assert data["meta"]["mode"] == "heat"
    assert data["meta"]["total"] == 9
    assert [f["properties"]["count"] for f in data["features"]] == [6]
    assert data["meta"]["suppressed_cells"] == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("zoom=11&bbox=1,2,3", "bbox"),
        ("zoom=11&bbox=74.7,42.8,74.5,42.9", "bbox"),  # west > east
        ("zoom=11&bbox=a,b,c,d", "bbox"),
        ("zoom=99", "zoom"),
        ("zoom=eleven", "zoom"),
        ("bbox=" + BISHKEK_BBOX, "zoom"),
        ("zoom=11&date_from=2026-13-01", "date_from"),
        ("zoom=11&date_from=2026-05-01&date_to=2026-04-01", "date_to"),
        ("zoom=11&status=lost", "status"),
        ("zoom=11&category=<script>", "category"),
        ("zoom=11&layer=tiles", "layer"),
    ],
)
def test_invalid_map_requests_get_a_400_with_a_clear_message(client, query, field):
    response = client.get(f"/api/v1/map?{query}")
    assert response.status_code == 400
    errors = response.json["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])


def test_map_api_messages_are_translated(client):
    response = client.get("/api/v1/map?zoom=99&lang=ru")
    assert response.status_code == 400
    assert response.json["errors"]["zoom"]


FILTER_CASES = [
    AppealFilters(),
    AppealFilters(city="bishkek"),
    AppealFilters(city="osh"),
    AppealFilters(category="pothole"),
    AppealFilters(service="bsk-roads"),
    AppealFilters(status="closed"),
    AppealFilters(overdue=True),
    AppealFilters(district="leninsky"),
    AppealFilters(bbox=(74.55, 42.84, 74.65, 42.90)),
    AppealFilters(date_from=(utcnow() - timedelta(days=10)).date()),
    AppealFilters(date_to=(utcnow() - timedelta(days=10)).date()),
    AppealFilters(city="bishkek", category="pothole", overdue=True),
    AppealFilters(city="osh", q="ЯМА на"),
    AppealFilters(q="фонарь"),
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: str(f.query_args()))
def test_the_index_selects_exactly_what_the_sql_filters_select(app, make_appeal, filters):
    now = utcnow()
    statuses = ["published", "in_progress", "answered", "closed", "reopened", "submitted"]
    for i in range(24):
        make_appeal(
            city="osh" if i % 5 == 0 else "bishkek",
            category=("pothole", "street_light", "social_help")[i % 3],
            status=statuses[i % len(statuses)],
            submitted_at=now - timedelta(days=3 * i + 1),
            lat=(40.53 if i % 5 == 0 else 42.83) + 0.004 * i,
            lon=(72.79 if i % 5 == 0 else 74.53) + 0.005 * i,
        )
    expected = {
        to_record(row).public_id
        for row in db.session.execute(apply_filters(public_appeals_select(), filters))
    }
    index = point_index()
    ids = set(index.ids[index.mask(filters, now)].tolist())
    got = set(db.session.scalars(select(Appeal.public_id).where(Appeal.id.in_(ids))))
    assert got == expected


def test_the_index_sees_new_appeals_and_transitions(app, make_appeal, make_answer):
    first = make_appeal()
    assert point_index().size == 1
    second = make_appeal()
    assert point_index().size == 2
    make_answer(second)
    index = point_index()
    position = index.ids.tolist().index(second.id)
    assert index.status[position] == list(index_status_codes()).index("answered")
    assert first.id in index.ids.tolist()


def index_status_codes():
    from portal.queries.map_index import STATUS_CODES

    return STATUS_CODES


def test_background_refresh_keeps_serving_the_old_index_until_the_new_one_is_ready(
    app, make_appeal
):
    make_appeal()
    holder = IndexHolder(db.engine, refresh_seconds=0, sync=False)
    assert holder.get().size == 1
    make_appeal()
    stale = holder.get()  # starts the refresh in a thread, answers at once
    holder._worker.join(timeout=10)
    assert stale.size in (1, 2)
    assert holder.get().size == 2


def test_index_loads_only_public_appeals(app, make_appeal):
    make_appeal(status=AppealStatus.SUBMITTED)
    make_appeal(status=AppealStatus.REJECTED)
    make_appeal()
    assert build_index(db.engine).size == 1


def test_map_and_list_link_the_downloads_of_the_same_filters(client):
    page = client.get("/map?category=pothole&overdue=1").get_data(as_text=True)
    assert "/datasets/appeals.csv?category=pothole&amp;overdue=1" in page
    assert "/datasets/appeals.geojson?category=pothole&amp;overdue=1" in page
    assert "/appeals?category=pothole&amp;overdue=1" in page
    listing = client.get("/appeals?category=pothole").get_data(as_text=True)
    assert "/datasets/appeals.csv?category=pothole" in listing


def test_map_outputs_carry_no_private_data(client, make_appeal):
    make_appeal(
        text="Звоните Айгуль +996 700 111 222",
        public_text="Звоните [ИМЯ] [ТЕЛЕФОН]",
        contact={"name": "Айгуль", "email": "aigul@example.kg", "phone": "+996700111222"},
        lat=42.874612,
        lon=74.612301,
    )
    for layer, zoom in (("appeals", 17), ("appeals", 11), ("heat", 13)):
        body = client.get(f"/api/v1/map?zoom={zoom}&layer={layer}&bbox={BISHKEK_BBOX}").get_data(
            as_text=True
        )
        for secret in ("Айгуль", "aigul@", "700111222", "42.874612", "74.612301"):
            assert secret not in body


def test_first_request_starts_building_the_index_in_the_background(
    app, client, make_appeal, tmp_path
):
    from portal.queries.map_index_cache import _holder

    make_appeal()
    app.testing = False  # warm-up is off in TESTING
    try:
        client.get("/api/v1/")  # not a public page: no warm-up
        assert "portal_map_index" not in app.extensions
        client.get("/privacy")  # a cheap public page (health checks are another blueprint)
    finally:
        app.testing = True
    holder = _holder(app)
    holder._worker.join(timeout=10)
    assert holder.store is not None and holder.store.folder == tmp_path / "map-index"
    assert holder._index is not None and holder._index.size == 1


def test_small_viewports_count_the_same_as_the_per_filter_table(app, make_appeal):
    spread(make_appeal, 40)
    spread(make_appeal, 20, category="street_light", submitted_at=utcnow() - timedelta(days=50))
    index = point_index()
    now = utcnow()
    filters = AppealFilters(category="street_light")
    sizes = index.loc_start[1:] - index.loc_start[:-1]
    some = np.flatnonzero(sizes == 2)[:3]  # three locations shared by both categories
    assert 0 < index.appeals_at(some) * 10 <= index.size
    small = index.classes_in(filters, now, some)  # first time: counted from its appeals
    assert not index._cache
    again = index.classes_in(filters, now, some)  # asked again: the cached table
    assert index._cache
    assert (small == again).all() and small.sum() > 0


def test_an_incremental_refresh_equals_a_full_rebuild(app, make_appeal, make_answer):
    from portal.models import EventKind, StatusEvent
    from portal.queries.map_index_load import refresh_index

    appeals = spread(make_appeal, 12)
    make_appeal(category="social_help")
    before = build_index(db.engine)
    make_answer(appeals[3])
    spread(make_appeal, 3, submitted_at=utcnow() - timedelta(days=40))
    withdrawn = appeals[5]
    withdrawn.status = AppealStatus.WITHDRAWN
    db.session.add(StatusEvent(appeal_id=withdrawn.id, kind=EventKind.WITHDRAWN))
    db.session.commit()
    refreshed = refresh_index(db.engine, before)
    rebuilt = build_index(db.engine)
    assert refreshed.version == rebuilt.version != before.version
    assert refreshed.size == rebuilt.size == before.size + 3 - 1
    for name in (
        "ids", "status", "category", "submitted", "due", "open_due", "loc", "loc_start",
        "by_loc", "without_point", "public_id", "base_class",
    ):  # fmt: skip
        assert np.array_equal(getattr(refreshed, name), getattr(rebuilt, name)), name
    assert np.allclose(refreshed.lat, rebuilt.lat, equal_nan=True)
    assert refresh_index(db.engine, rebuilt) is rebuilt  # nothing changed: nothing read


def _screen_px(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    x, y = mercator(lat=np.array([lat]), lon=np.array([lon]))
    size = 256 * 2**zoom
    return float(x[0] * size), float(y[0] * size)


def test_clusters_sit_at_the_mean_of_their_points_not_on_a_grid(client, make_appeal, app):
    zoom = 13
    # An evenly spread block (~200 m apart) and three tight groups far from it and from each
    # other; the last one straddles a border of the clustering grid (x = 64 px · k).
    spread(make_appeal, 60)
    border_lon = 23175 * CLUSTER_CELL_PX / (256 * 2**zoom) * 360 - 180
    groups = [(42.815, 74.50), (42.815, 74.70), (42.915, border_lon)]
    for lat, lon in groups:
        for i in range(4):
            make_appeal(lat=lat + 0.0015 * (i // 2), lon=lon - 0.002 + 0.004 * (i % 2))
    app.config["MAP_POINTS_BELOW"] = 0
    points = client.get(f"/api/v1/map?zoom=17&bbox={BISHKEK_BBOX}").json["features"]
    assert len(points) == 72
    clusters = client.get(f"/api/v1/map?zoom={zoom}&bbox={BISHKEK_BBOX}").json["features"]
    assert sum(c["properties"]["count"] for c in clusters) == 72
    centres = [_screen_px(c["geometry"]["coordinates"][1], c["geometry"]["coordinates"][0], zoom)
               for c in clusters]  # fmt: skip
    # No lattice: no two clusters closer on screen than a cluster cell's width.
    for i, (x1, y1) in enumerate(centres):
        for x2, y2 in centres[i + 1 :]:
            assert math.hypot(x1 - x2, y1 - y2) >= CLUSTER_CELL_PX
    # Each group is one cluster, drawn at the mean of its (published) points.
    for lat, lon in groups:
        near = [
            _screen_px(p["geometry"]["coordinates"][1], p["geometry"]["coordinates"][0], zoom)
            for p in points
            if abs(p["geometry"]["coordinates"][1] - lat) < 0.01
            and abs(p["geometry"]["coordinates"][0] - lon) < 0.01
        ]
        assert len(near) == 4
        mean = np.mean(near, axis=0)
        k = min(range(len(centres)), key=lambda k: math.dist(mean, centres[k]))
        assert clusters[k]["properties"]["count"] == 4
        assert math.dist(mean, centres[k]) < 0.5  # half a pixel: rounding of the output
