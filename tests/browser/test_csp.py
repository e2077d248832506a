"""In Chromium: no page of the portal — public, citizen, staff; the maps loaded and used —
makes the Content-Security-Policy refuse anything (no violation event, no console report).

Pages come from the URL map (tests/portal_world.py): a page added later is visited too.
"""

from __future__ import annotations

import pytest

from tests.portal_world import PASSWORD, build_world, page_urls

pytestmark = pytest.mark.browser

LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""
#: Where a page's map or script has finished its work.
READY = {
    "public.home": "#map-app[data-mode='points'] .appeal-marker",
    "public.map_page": "#map-app[data-mode='points'] .appeal-marker",
    "public.appeal_detail": "#map_location .leaflet-interactive",
    "citizen.new_appeal": ".leaflet-container",
    "staff.moderation_detail": "#moderation-map .leaflet-interactive",
}
MAP_VIEW = "#17/42.8746/74.6122"  # the published appeal


@pytest.fixture
def violations(browser) -> list[str]:
    return []


def watched_page(make_page, violations: list[str]):
    page = make_page(locale="en-US")
    page.context.expose_function("reportViolation", lambda text: violations.append(text))
    page.context.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and violations.append(f"console: {message.text}")
        ),
    )
    return page


def html_pages(app, world) -> dict[str, str]:
    """endpoint -> URL of every route that answers with an HTML page."""
    pages = {}
    client = app.test_client()
    staff = {}
    for role in ("admin", "moderator", "worker"):
        staff[role] = app.test_client()
        email = getattr(world, role).email
        staff[role].post("/staff/login", data={"email": email, "password": PASSWORD})
    for endpoint, url in page_urls(app, world).items():
        for browser in (client, *staff.values()):
            response = browser.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                pages[endpoint] = url
                break
    return pages


def visit(page, base: str, endpoint: str, url: str, violations: list[str]) -> bool:
    """Open the page (and use its map); False when this visitor may not see it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    target = base + url + (MAP_VIEW if endpoint in ("public.home", "public.map_page") else "")
    response = page.goto(target)
    if response is None or response.status != 200:
        return False
    try:
        if endpoint in READY:
            page.wait_for_selector(READY[endpoint], state="attached")
    except PlaywrightTimeout:
        raise AssertionError(f"{endpoint}: its scripts did not finish; {violations}") from None
    if endpoint in ("public.home", "public.map_page"):
        page.locator(".appeal-marker").first.click()  # a popup, built by map.js
        page.locator(".leaflet-popup-content").wait_for()
        page.locator("[data-heat]").check()  # the heat layer (a canvas plugin)
        page.wait_for_selector("#map-app[data-heat-cells]", state="attached")
    if endpoint == "citizen.new_appeal":
        page.locator(".leaflet-container").first.click()  # place the point
    page.wait_for_load_state("networkidle")
    return True


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click(".staff-login button[type=submit]")
    page.wait_for_url("**/staff/**")
    assert "/staff/login" not in page.url


def test_no_page_makes_the_policy_refuse_anything(
    app, live_server, make_page, make_staff, violations, external_requests
):
    world = build_world(make_staff)
    pages = html_pages(app, world)
    assert {"public.map_page", "public.appeal_detail", "citizen.track",
            "staff.moderation_detail", "staff.inbox", "staff.admin_index"} <= set(pages)  # fmt: skip
    visited = set()
    anonymous = watched_page(make_page, violations)
    for endpoint, url in sorted(pages.items()):
        if not endpoint.startswith("staff.") and visit(
            anonymous, live_server, endpoint, url, violations
        ):
            visited.add(endpoint)
    for role in ("admin", "moderator", "worker"):
        page = watched_page(make_page, violations)
        sign_in(page, live_server, getattr(world, role).email)
        for endpoint, url in sorted(pages.items()):
            pending = endpoint.startswith("staff.") and endpoint not in visited
            if pending and visit(page, live_server, endpoint, url, violations):
                visited.add(endpoint)
    assert visited == set(pages)
    assert violations == []
    assert external_requests == []

    # The listener really hears the policy: an injected inline script is refused and reported.
    anonymous.goto(f"{live_server}/privacy")
    anonymous.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.append(s); }"
    )
    anonymous.wait_for_function("() => true")
    anonymous.wait_for_timeout(200)
    assert anonymous.evaluate("() => window.injected") is None
    assert any("script-src" in v for v in violations), violations
