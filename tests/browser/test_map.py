"""The public map and appeal pages in Chromium: clusters, markers, filters, popups, no JS."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

HOSTILE = '<script>alert("xss")</script><img src=x onerror="alert(2)" id="injected">'


def spread(make_appeal, n: int, start: int = 0, **kwargs):
    """``n`` appeals on distinct points ~200 m apart around central Bishkek."""
    return [
        make_appeal(lat=42.86 + 0.002 * (i // 12), lon=74.58 + 0.002 * (i % 12), **kwargs)
        for i in range(start, start + n)
    ]


@pytest.fixture
def dialogs(page):
    seen = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def wait_mode(page, mode: str) -> None:
    page.wait_for_selector(f'#map-app[data-mode="{mode}"]', state="attached")


def test_map_loads_clusters_and_zooming_in_shows_markers(
    app, live_server, page, make_appeal, external_requests, artifacts
):
    spread(make_appeal, 40)
    spread(make_appeal, 8, category="street_light")
    app.config.update(MAP_POINTS_BELOW=10, MAP_POINT_ZOOM=15)
    page.goto(f"{live_server}/map#12/42.8700/74.5900")
    wait_mode(page, "clusters")
    page.wait_for_function(
        "() => document.querySelector('[data-map-status]').textContent"
        ".replace(/\\s/g, '').includes('48')"
    )
    counts = page.eval_on_selector_all(
        ".appeal-cluster", "nodes => nodes.map(n => Number(n.getAttribute('data-count')))"
    )
    assert counts and sum(counts) == 48
    page.screenshot(path=artifacts / "map-clusters.png", full_page=True)

    for level in (13, 14, 15):
        # Leaflet ignores a zoom request while a zoom animation runs, as a person's
        # second click would be: click again only once the map has settled.
        page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_function(f"() => location.hash.startsWith('#{level}/')")
    wait_mode(page, "points")
    assert page.locator(".appeal-marker").count() >= 1
    assert external_requests == []


def test_a_filter_change_updates_markers_and_the_url(
    app, live_server, page, make_appeal, external_requests
):
    spread(make_appeal, 6)
    spread(make_appeal, 3, start=6, category="street_light")
    page.goto(f"{live_server}/map#16/42.8620/74.5850")
    wait_mode(page, "points")
    page.wait_for_selector("#map-app[data-total='9']", state="attached")
    assert page.locator(".appeal-marker").count() == 9

    page.select_option("select[name=category]", "street_light")
    page.wait_for_function("() => location.search.includes('category=street_light')")
    page.wait_for_selector("#map-app[data-total='3']", state="attached")
    assert page.locator(".appeal-marker").count() == 3
    assert "#16/" in page.url  # the view is kept in the URL too
    download = page.locator("[data-download=json]").get_attribute("href")
    assert "category=street_light" in download and "bbox=" in download

    page.reload()  # the shared URL restores the same view
    wait_mode(page, "points")
    page.wait_for_selector("#map-app[data-total='3']", state="attached")
    assert page.locator("select[name=category]").input_value() == "street_light"
    assert external_requests == []


def test_popup_shows_hostile_text_as_text(
    app, live_server, page, make_appeal, dialogs, external_requests, artifacts
):
    appeal = make_appeal(public_text=HOSTILE, lat=42.8746, lon=74.6122)
    page.goto(f"{live_server}/map#17/42.8746/74.6122")
    wait_mode(page, "points")
    marker = page.locator(f'.appeal-marker[data-appeal-ids="{appeal.public_id}"]')
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.locator(".popup-text").filter(has_text="alert").wait_for()
    assert HOSTILE in popup.locator(".popup-text").inner_text()
    assert appeal.public_id in popup.inner_text()
    assert page.locator("#injected").count() == 0
    assert popup.locator("img, script").count() == 0
    page.wait_for_timeout(1000)  # the popup's auto-pan reloads the map: it stays open
    assert popup.locator(".popup-text").inner_text() == HOSTILE
    assert dialogs == []
    page.screenshot(path=artifacts / "map-popup.png")

    page.goto(f"{live_server}/appeals/{appeal.public_id}")
    assert HOSTILE in page.locator(".appeal-text").inner_text()
    assert page.locator("#injected").count() == 0
    page.wait_for_selector("#map_location .leaflet-interactive", state="attached")
    page.screenshot(path=artifacts / "appeal-page.png", full_page=True)
    assert dialogs == []
    assert external_requests == []


def test_markers_are_keyboard_accessible(app, live_server, page, make_appeal):
    appeal = make_appeal(lat=42.8746, lon=74.6122)
    page.goto(f"{live_server}/map#17/42.8746/74.6122")
    wait_mode(page, "points")
    marker = page.locator(f'.appeal-marker[data-appeal-ids="{appeal.public_id}"]')
    marker.focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").filter(has_text=appeal.public_id).wait_for()


def test_list_works_without_javascript(live_server, make_page, make_appeal, external_requests):
    spread(make_appeal, 3, category="street_light")
    pothole = make_appeal(lat=42.80, lon=74.50)
    page = make_page(javascript=False)
    page.goto(f"{live_server}/map")
    assert "JavaScript" in page.locator("[data-map-status]").inner_text()
    page.locator("[data-twin-list]").click()
    page.select_option("select[name=category]", "street_light")
    page.locator("form[data-filters] button[type=submit]").click()
    assert "category=street_light" in page.url
    assert page.locator(".appeal-card").count() == 3
    assert pothole.public_id not in page.content()
    page.goto(f"{live_server}/appeals?per_page=2")
    page.locator("a[rel=next]").click()
    assert page.locator(".appeal-card").count() == 2
    assert external_requests == []


def test_map_works_on_a_phone_screen(live_server, make_page, make_appeal, artifacts):
    spread(make_appeal, 4)
    page = make_page(viewport=(390, 844))
    page.goto(f"{live_server}/map#16/42.8620/74.5850")
    wait_mode(page, "points")
    assert page.locator(".filters-box").get_attribute("open") is None  # folded on a phone
    box = page.locator(".map-frame").bounding_box()
    assert box["y"] < 844  # the map starts on the first screen
    assert box["width"] <= 390 and box["height"] >= 300
    wide = page.evaluate(
        "() => Array.from(document.querySelectorAll('body *')).filter(e => "
        "e.getBoundingClientRect().right > 392 && !e.closest('.leaflet-container'))"
        ".map(e => e.tagName + '.' + e.className)"
    )
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "map-phone.png", full_page=True)


def test_hot_spot_layer_for_a_category(app, live_server, page, make_appeal, external_requests):
    for _ in range(6):
        make_appeal(lat=42.8746, lon=74.6122, category="pothole")
    make_appeal(lat=42.8300, lon=74.5300, category="pothole")  # a cell of one: suppressed
    page.goto(f"{live_server}/map?category=pothole#13/42.8600/74.5900")
    wait_mode(page, "points")
    page.locator("[data-heat]").check()
    page.wait_for_selector("#map-app[data-heat-cells='1']", state="attached")
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert "5" in page.locator("[data-heat-note]").inner_text()
    page.locator("[data-heat]").uncheck()
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
    # Nor does a heat request still on its way (the filter change sent one) bring it back.
    page.wait_for_load_state("networkidle")
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
    assert external_requests == []
