"""In Chromium on a 360 px phone: choosing a category and a point near an open appeal of
that category shows it as a suggestion, and joining it counts one more supporter."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.browser


def test_a_suggestion_nearby_can_be_joined_instead_of_filing(
    live_server, make_page, make_appeal, external_requests
):
    appeal = make_appeal(lat=42.8746, lon=74.6122)
    make_appeal(category="street_light", lat=42.8746, lon=74.6122)  # another category
    page = make_page(viewport=(360, 740), locale="en-US")
    page.goto(f"{live_server}/appeals/new?lang=en")
    assert page.locator("#nearby").is_hidden()
    page.select_option("#city", "bishkek")
    page.select_option("#category", "pothole")
    page.fill("#lat", f"{appeal.public_lat + 0.0005:.6f}")  # ~55 m from its published point
    page.fill("#lon", f"{appeal.public_lon:.6f}")
    page.press("#lon", "Tab")  # the point is chosen (change)
    page.wait_for_selector("#nearby:not([hidden])")
    items = page.locator("#nearby-list li")
    assert items.count() == 1 and appeal.public_id in items.first.inner_text()
    assert "Similar appeals nearby: 1." in page.inner_text("#nearby-status")
    assert "residents affected: 0" in items.first.inner_text()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360  # nothing overflows the phone's width

    button = items.first.locator("button.join")
    button.focus()
    page.keyboard.press("Enter")  # keyboard works
    page.wait_for_selector("#nearby-list .joined")
    assert "residents affected: 1" in items.first.inner_text()
    assert "Counted. Thank you" in page.inner_text("#nearby-status")
    with urllib.request.urlopen(f"{live_server}/api/v1/appeals/{appeal.public_id}") as answer:
        assert json.load(answer)["supporters"] == 1
    assert external_requests == []
