"""Alerts in Chromium: the resident draws an area on the subscription form's map."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.alerts.models import AlertSubscription
from portal.extensions import db

pytestmark = pytest.mark.browser


def test_a_resident_draws_an_area_and_subscribes(live_server, page, external_requests,
                                                 artifacts):  # fmt: skip
    page.goto(f"{live_server}/alerts/subscribe?bbox=74.58,42.86,74.62,42.89")
    area_map = page.locator("#area-map")
    area_map.wait_for(state="visible")
    box = area_map.bounding_box()

    def click(x: float, y: float) -> None:  # at a share of the map's width and height
        area_map.click(position={"x": x * box["width"], "y": y * box["height"]})

    corners = [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.5, 0.5), (0.3, 0.7)]  # concave
    for x, y in corners:
        click(x, y)
    page.locator("#area-undo").click()  # a slip: the last corner goes
    click(0.35, 0.75)
    assert page.locator("input[name=scope][value=area]").is_checked()
    assert "5" in page.locator("#area-count").inner_text()
    page.screenshot(path=str(artifacts / "alert-area-drawn.png"))
    drawn = json.loads(page.locator("#area").input_value())
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 6  # closed ring

    page.locator("#email").fill("resident@example.kg")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("#alerts-message")
    assert external_requests == []
    stored = db.session.scalars(select(AlertSubscription)).one()
    ring = json.loads(stored.private_area)
    # The map opened on the linked view: the corners lie around it (a click's share of it).
    assert len(ring) == 5 and all(74.57 < lon < 74.63 and 42.86 < lat < 42.89 for lon, lat in ring)
    assert stored.min_lon == min(lon for lon, _ in ring)


def test_the_typed_box_remains_without_javascript(live_server, make_page):
    page = make_page(javascript=False)
    page.goto(f"{live_server}/alerts/subscribe?bbox=74.58,42.86,74.62,42.89")
    assert not page.locator("#area-map").is_visible()
    page.locator("#email").fill("resident@example.kg")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("#alerts-message")
    stored = db.session.scalars(select(AlertSubscription)).one()
    assert stored.private_area is None and stored.min_lon == 74.58
