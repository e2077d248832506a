"""In Chromium on a 360 px phone: no page of the portal — public, citizen, staff, in ru, ky
and en — is wider than the screen or has a form control without a label; the staff appeal
page's action forms fit their cards; the language switch keeps the whole address.

Pages come from the URL map (tests/portal_world.py), so a page added later is checked too.
One browser, one page per visitor, every URL in a loop: the check stays fast.
"""

from __future__ import annotations

import pytest

from tests.browser.test_csp import html_pages, sign_in
from tests.portal_world import PASSWORD, build_world

pytestmark = pytest.mark.browser

PHONE = (360, 740)
LANGUAGES = ("ru", "ky", "en")
#: The width of the document and, when it is too wide, the elements that stick out.
MEASURE = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
      + `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}`
      + ` right=${Math.round(el.getBoundingClientRect().right)}`);
  const unnamed = [...document.querySelectorAll(
      'input:not([type=hidden]):not([type=submit]), select, textarea')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
      && !el.getAttribute('aria-labelledby') && !el.closest('.leaflet-container'))
    .map((el) => `${el.tagName.toLowerCase()}[name=${el.name}]`);
  return {scroll: document.documentElement.scrollWidth, inner: width, wide, unnamed};
}"""


def overflow(page, url: str) -> str | None:
    """None when the page at ``url`` fits the screen, else what sticks out."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    size = page.evaluate(MEASURE)
    if size["unnamed"]:  # every form control has a label a screen reader can say
        return f"{url}: controls without a label: {', '.join(size['unnamed'])}"
    if size["scroll"] <= size["inner"]:
        return None
    return f"{url}: {size['scroll']} px > {size['inner']} px ({'; '.join(size['wide'])})"


def set_language(page, base: str, lang: str) -> None:
    page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])


def extra_pages(make_appeal, world) -> tuple[list[str], list[str]]:
    """Pages the URL map's samples do not reach: a filtered list, an open appeal's actions."""
    open_appeal = make_appeal(service=world.published.service.code)
    public = ["/appeals?city=bishkek&category=pothole&page=1", "/datasets/"]
    staff = [f"/staff/appeals/{open_appeal.public_id}"]
    return public, staff


def test_no_page_is_wider_than_a_phone_or_has_unlabelled_controls(
    app, live_server, make_page, make_staff, make_appeal, external_requests
):
    world = build_world(make_staff)
    pages = html_pages(app, world)
    assert {"public.appeal_list", "datasets.index", "staff.appeal", "staff.inbox",
            "staff.moderation_detail", "staff.admin_index", "public.service_card"} <= set(pages)  # fmt: skip
    extra_public, extra_staff = extra_pages(make_appeal, world)
    signed_in = {e for e in pages if e.startswith("staff.") and e != "staff.login"}
    public = [url for endpoint, url in pages.items() if endpoint not in signed_in]
    staff = {endpoint: pages[endpoint] for endpoint in signed_in}
    problems: list[str] = []

    anonymous = make_page(viewport=PHONE)
    for lang in LANGUAGES:
        set_language(anonymous, live_server, lang)
        for url in sorted(public) + extra_public:
            problems.append(overflow(anonymous, live_server + url))

    checked: set[str] = set()
    for role in ("worker", "moderator", "admin"):
        page = make_page(viewport=PHONE)
        sign_in(page, live_server, getattr(world, role).email)
        mine = [
            e for e in sorted(staff) if e not in checked and _may_see(page, live_server + staff[e])
        ]
        urls = [staff[e] for e in mine] + (extra_staff if role == "worker" else [])
        checked.update(mine)
        for lang in LANGUAGES:
            set_language(page, live_server, lang)
            for url in urls:
                problems.append(overflow(page, live_server + url))
    assert checked == set(staff)
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
    assert external_requests == []


def _may_see(page, url: str) -> bool:
    response = page.request.get(url, max_redirects=0)
    return response.status == 200 and "text/html" in response.headers.get("content-type", "")


@pytest.mark.parametrize("viewport", [(1366, 900), PHONE])
def test_staff_appeal_actions_fit_their_cards(
    live_server, make_page, make_staff, make_appeal, artifacts, viewport
):
    appeal = make_appeal()
    user = make_staff(role="service", service=appeal.service.code, password=PASSWORD)
    page = make_page(viewport=viewport, locale="ru-RU")
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server}/staff/appeals/{appeal.public_id}")
    page.screenshot(path=artifacts / f"staff-appeal-{viewport[0]}.png", full_page=True)
    cards = page.locator(".staff-actions .action")
    assert cards.count() >= 4  # acknowledge, answer, status, reroute, extend
    for index in range(cards.count()):
        card = cards.nth(index)
        box = card.bounding_box()
        for child in card.locator("input:not([type=hidden]), select, textarea, button").all():
            inner = child.bounding_box()
            assert (
                inner["x"] >= box["x"]
                and inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5
            ), f"card {index}: {child.evaluate('e => e.outerHTML.slice(0, 80)')} sticks out"
            if child.evaluate("e => e.tagName") == "BUTTON":
                assert inner["height"] < 60, f"card {index}: a {inner['height']} px tall button"
    # The reroute select asks which service instead of choosing the first one.
    reroute = page.locator("#reroute-service")
    assert reroute.evaluate("e => e.required") is True
    assert reroute.input_value() == ""


def test_the_language_switch_keeps_the_whole_address(live_server, make_page, make_appeal):
    make_appeal()
    page = make_page(viewport=PHONE)
    page.goto(f"{live_server}/appeals?city=bishkek&category=pothole&page=1")
    page.locator(".lang-switch a[hreflang=en]").click()
    page.wait_for_url("**lang=en")
    assert page.url == f"{live_server}/appeals?city=bishkek&category=pothole&page=1&lang=en"
    assert page.locator("html").get_attribute("lang") == "en"
    # The map's view lives in the #fragment: the switch carries it along.
    page.goto(f"{live_server}/map?city=bishkek#15/42.87460/74.61220")
    page.locator(".lang-switch a[hreflang=ky]").click()
    page.wait_for_url("**lang=ky**")
    assert page.url.startswith(f"{live_server}/map?city=bishkek&lang=ky#15/42.8")
