"""Alerts in Chromium: from the map's current view to a subscription for that area."""

from __future__ import annotations

import pytest

from tests.browser.test_map import spread, wait_mode

pytestmark = pytest.mark.browser


def test_the_map_offers_alerts_for_the_area_in_view(live_server, page, make_appeal,
                                                    external_requests):  # fmt: skip
    spread(make_appeal, 3)
    page.goto(f"{live_server}/map#16/42.8620/74.5850")
    wait_mode(page, "points")
    page.wait_for_function(
        "() => document.querySelector('[data-alerts]').getAttribute('href').includes('bbox=')"
    )
    page.locator("[data-alerts]").click()
    page.wait_for_selector("form input[name=email]")
    assert page.locator("input[name=scope][value=area]").is_checked()
    west, south, east, north = map(float, page.locator("#bbox").input_value().split(","))
    assert west < 74.5850 < east and south < 42.8620 < north
    page.locator("#email").fill("resident@example.kg")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("#alerts-message")
    assert external_requests == []
