"""The performance page in Chromium: charts drawn, tables readable, sorting, no network."""

from __future__ import annotations

import pytest

from tests.portal.test_performance import fixture_appeals  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser
QUERY = "/performance?from=2025-01-01&to=2025-06-30&lang=en"


def test_charts_and_tables_are_shown_without_any_external_request(
    live_server,
    page,
    external_requests,
    artifacts,
    fixture_appeals,  # noqa: F811
):
    page.goto(live_server + QUERY)
    assert page.locator("h1").inner_text() == "Service performance"
    assert "January 1, 2025" in page.locator("#window").inner_text()
    chart = page.locator("figure.chart svg")
    assert chart.is_visible()
    assert chart.locator("circle.dot").count() == 1  # only bsk-roads has 10+ ratings
    assert "too few ratings" in chart.text_content()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 60
    table = page.locator("#services table.figures")
    assert table.locator("tbody tr").count() == 3
    assert "figures suppressed" in table.inner_text()
    assert page.locator("#trend svg.sparkline").count() >= 2
    assert page.locator("#hotspots table.heat").count() == 1
    # A short page: a summary, the services, then sections one click away.
    assert "Problems received: 21; answered: 19" in page.locator("#summary").inner_text()
    assert not page.locator("#hotspots table.heat").is_visible()
    page.locator("#hotspots summary").click()
    assert page.locator("#hotspots table.heat").is_visible()
    # the hot-spot map reuses the map's public heat layer (12 potholes at one place)
    page.wait_for_selector("#hotspots figure.hotspot-map circle.hot", state="attached")
    assert page.locator("#hotspots figure.hotspot-map").is_visible()
    page.screenshot(path=str(artifacts / "performance.png"), full_page=True)
    assert external_requests == []


def test_clicking_a_column_header_sorts_the_table(live_server, page, fixture_appeals):  # noqa: F811
    page.goto(live_server + QUERY)
    table = page.locator("#services table.figures")
    header = table.locator("thead th", has_text="Appeals received")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    first = table.locator("tbody tr").first.locator("th").inner_text()
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert table.locator("tbody tr").first.locator("th").inner_text() != first


def test_page_works_without_javascript_and_on_a_phone(
    live_server,
    make_page,
    artifacts,
    fixture_appeals,  # noqa: F811
):
    page = make_page(viewport=(390, 844), javascript=False)
    page.goto(live_server + QUERY)
    assert page.locator("figure.chart svg").is_visible()
    page.locator("input[name=from]").fill("2025-02-01")
    page.locator("button[type=submit]").click()
    assert "February 1, 2025" in page.locator("#window").inner_text()
    page.screenshot(path=str(artifacts / "performance-phone.png"), full_page=False)


def test_the_how_to_read_page_is_one_click_away(live_server, page, fixture_appeals):  # noqa: F811
    page.goto(live_server + QUERY)
    page.get_by_role("link", name="How to read these figures").click()
    assert page.locator("h1").inner_text() == "How to read the service performance figures"
