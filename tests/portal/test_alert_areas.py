"""Alerts for an area drawn on the map (issue 18): the polygon is checked, kept private and
matched exactly against each appeal's published (masked) point."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from opendata.geomask import BBox, mask_point
from portal.alerts.models import AlertSubscription
from portal.extensions import db
from portal.schema_upgrade import migrate
from tests.factories import category_by_code, city_by_slug
from tests.portal.test_alerts import SUBSCRIBER, confirm, mailbox, sent_to, subscribe  # noqa: F401

#: The private point make_appeal uses (Bishkek) and the published one the gate derives.
LAT, LON = 42.8746, 74.6122
STEP = 0.01


def published_point(lat: float = LAT, lon: float = LON) -> tuple[float, float]:
    """Where a pothole reported at (lat, lon) is published (the factory's masking)."""
    city = city_by_slug("bishkek")
    tier = category_by_code(city, "pothole").privacy_tier.value
    box = BBox(city.min_lat, city.min_lon, city.max_lat, city.max_lon)
    masked = mask_point(lat=lat, lon=lon, tier=tier, city=box)
    return masked.lat, masked.lon


def polygon(corners: list[tuple[float, float]]) -> str:
    """A GeoJSON Polygon of (lon, lat) corners, closed as the map's drawing sends it."""
    ring = [[lon, lat] for lon, lat in corners]
    return json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})


def u_shape(lat: float, lon: float, shift: float = 0.0) -> list[tuple[float, float]]:
    """A "U" whose notch holds (lat, lon); ``shift`` (in steps) moves it east or west."""
    d, x = STEP, lon + shift * STEP
    return [(x - 2 * d, lat - 2 * d), (x + 2 * d, lat - 2 * d), (x + 2 * d, lat + 2 * d),
            (x + d, lat + 2 * d), (x + d, lat - d), (x - d, lat - d), (x - d, lat + 2 * d),
            (x - 2 * d, lat + 2 * d)]  # fmt: skip


def count_subscriptions() -> int:
    return db.session.scalar(select(func.count()).select_from(AlertSubscription))


@pytest.mark.parametrize(
    ("area", "english"),
    [
        ("not json", "Draw the area again"),
        ('{"type": "Point", "coordinates": [74.6, 42.87]}', "Draw the area again"),
        (polygon([(74.60, 42.87), (74.61, 42.87)]), "An area has 3 to 100 corners."),
        (polygon([(74.6 + i / 10000, 42.87 + (i % 2) / 1000) for i in range(101)]),
         "An area has 3 to 100 corners."),
        (polygon([(74.60, 42.87), (74.62, 42.89), (74.62, 42.87), (74.60, 42.89)]),
         "Draw the area again"),  # a bow tie crosses itself
        (polygon([(74.60, 42.87), (74.61, 42.87), (74.62, 42.87)]), "Draw the area again"),
        (polygon([(74.60, 42.87), (74.61, 42.87), (74.61, "42.88")]), "Draw the area again"),
        (polygon([(74.0, 42.5), (74.7, 42.5), (74.7, 42.9)]), "The area is too large"),
        (polygon([(73.0, 41.0), (73.1, 41.0), (73.1, 41.1)]), "Draw the area inside a city"),
    ],
)  # fmt: skip
def test_a_bad_polygon_is_a_translated_400_and_stores_nothing(client, mailbox, area, english):  # noqa: F811
    data = {"email": SUBSCRIBER, "scope": "area", "area": area, "bbox": "74.58,42.86,74.62,42.89"}
    response = client.post("/alerts/subscribe?lang=en", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert english in page and 'id="area-errors"' in page
    russian = client.post("/alerts/subscribe?lang=ru", data=data)
    assert russian.status_code == 400 and english not in russian.get_data(as_text=True)
    assert count_subscriptions() == 0 and sent_to(SUBSCRIBER) == []


def test_a_drawn_area_alerts_for_appeals_inside_it_not_in_its_notch(client, mailbox, make_appeal):  # noqa: F811
    lat, lon = published_point()
    followers = {
        "arm@example.kg": {"area": polygon(u_shape(lat, lon, shift=-1.5))},  # point in an arm
        "notch@example.kg": {"area": polygon(u_shape(lat, lon))},  # point in the notch
        "box@example.kg": {"bbox": f"{lon - 0.02},{lat - 0.02},{lon + 0.02},{lat + 0.02}"},
    }
    for email, fields in followers.items():
        confirm(client, subscribe(client, email=email, scope="area", **fields))
    stored = db.session.scalars(select(AlertSubscription).order_by(AlertSubscription.id)).all()
    assert [s.min_lat <= lat <= s.max_lat and s.min_lon <= lon <= s.max_lon for s in stored] == [
        True,
        True,
        True,
    ]  # fmt: skip — every box holds the point: the polygon decides

    appeal = make_appeal()
    assert (appeal.public_lat, appeal.public_lon) == (lat, lon)
    got = {email: len(sent_to(email)) - 1 for email in followers}  # less the confirmation
    assert got == {"arm@example.kg": 1, "notch@example.kg": 0, "box@example.kg": 1}
    assert appeal.public_id in sent_to("arm@example.kg")[-1].get_content()


def test_the_published_point_decides_not_the_private_one(client, mailbox, make_appeal):  # noqa: F811
    lat, lon = published_point()
    assert (lat, lon) != (LAT, LON)
    half = max(abs(lat - LAT), abs(lon - LON)) / 2  # around the private point, short of the public
    around_private = [(LON - half, LAT - half), (LON + half, LAT - half), (LON + half, LAT + half),
                      (LON - half, LAT + half)]  # fmt: skip
    confirm(client, subscribe(client, scope="area", area=polygon(around_private)))
    make_appeal()
    assert len(sent_to(SUBSCRIBER)) == 1, "only the confirmation"


def test_the_polygon_is_private_the_subscriber_sees_its_box(client, mailbox):  # noqa: F811
    corners = [(74.5912345, 42.8612345), (74.6187654, 42.8623456), (74.6034567, 42.8898765)]
    token = subscribe(client, scope="area", area=polygon(corners))
    (mail,) = sent_to(SUBSCRIBER)
    page = client.get(f"/alerts/confirm/{token}").get_data(as_text=True)
    for text in (mail.get_content(), page):
        assert "74.5912, 42.8612, 74.6188, 42.8899" in text  # the box, rounded
        assert "3" in text and "74.5912345" not in text and "42.8623456" not in text
    stored = db.session.scalars(select(AlertSubscription)).one()
    assert json.loads(stored.private_area) == [[lon, lat] for lon, lat in corners]


def test_an_error_keeps_the_drawing_for_the_map_to_show_again(client, mailbox):  # noqa: F811
    area = polygon([(74.60, 42.87), (74.61, 42.87), (74.61, 42.88)])
    response = client.post(
        "/alerts/subscribe", data={"email": "nope", "scope": "area", "area": area}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="area-map"' in page and 'name="area"' in page
    assert "74.61" in page  # the drawing is sent back to its author, in the form


def test_the_area_migration_keeps_every_subscription_both_ways(app, make_appeal):
    box = AlertSubscription(private_email="box@example.kg", scope="area", frequency="daily",
                            language="ru", min_lon=74.58, min_lat=42.86, max_lon=74.62,
                            max_lat=42.89, unsubscribe_key="k" * 64)  # fmt: skip
    drawn = AlertSubscription(private_email="drawn@example.kg", scope="area", frequency="daily",
                              language="ru", min_lon=74.60, min_lat=42.87, max_lon=74.61,
                              max_lat=42.88, unsubscribe_key="d" * 64,
                              private_area="[[74.6,42.87],[74.61,42.87],[74.61,42.88]]")  # fmt: skip
    db.session.add_all([box, drawn])
    db.session.commit()
    db.session.remove()
    config = migrate().get_config()

    command.downgrade(config, "c5e8a2f4d917")
    columns = {c["name"] for c in inspect(db.engine).get_columns("alert_subscriptions")}
    assert "private_area" not in columns and "min_lat" in columns
    assert count_subscriptions() == 2
    db.session.remove()
    command.upgrade(config, "head")

    rows = db.session.execute(
        select(AlertSubscription.private_email, AlertSubscription.min_lat,
               AlertSubscription.private_area).order_by(AlertSubscription.id)
    ).all()  # fmt: skip
    assert rows == [("box@example.kg", 42.86, None), ("drawn@example.kg", 42.87, None)]
