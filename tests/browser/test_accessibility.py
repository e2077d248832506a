"""axe-core in Chromium on every page of the portal — public, citizen, staff — in ru, ky and
en: no serious or critical violation (contrast, labels, landmarks, names of map controls).

The page list is the one of the 360 px check (tests/browser/test_layout.py): the URL map's
samples plus the pages they do not reach. One browser, one page per role, every URL in a loop.
axe-core comes with the axe-playwright-python package: nothing is fetched at run time.
"""

from __future__ import annotations

import pytest

from tests.browser.test_csp import html_pages, sign_in
from tests.browser.test_layout import LANGUAGES, _may_see, extra_pages, set_language
from tests.portal_world import build_world

pytestmark = pytest.mark.browser

#: What a person with a disability is stopped by; "moderate"/"minor" are advice, except
#: the page structure a screen reader navigates by (a main landmark, one h1, no level
#: skipped), which is held too.
BLOCKING = ("serious", "critical")
STRUCTURE = ("landmark-one-main", "page-has-heading-one", "heading-order")
DESKTOP = (1280, 900)


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def violations(axe, page, url: str) -> list[str]:
    """The serious and critical axe violations of the page at ``url``, one line each."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("load")
    results = axe.run(page)
    found = []
    for rule in results.response["violations"]:
        if rule["impact"] in BLOCKING or rule["id"] in STRUCTURE:
            targets = ", ".join(str(node["target"]) for node in rule["nodes"][:3])
            found.append(f"{url}: {rule['id']} ({rule['impact']}): {targets}")
    return found


def test_no_page_has_a_serious_accessibility_violation(
    app, live_server, make_page, make_staff, make_appeal, axe, external_requests
):
    world = build_world(make_staff)
    pages = html_pages(app, world)
    extra_public, extra_staff = extra_pages(make_appeal, world)
    signed_in = {e for e in pages if e.startswith("staff.") and e != "staff.login"}
    public = sorted(url for endpoint, url in pages.items() if endpoint not in signed_in)
    problems: list[str] = []

    anonymous = make_page(viewport=DESKTOP)
    for lang in LANGUAGES:
        set_language(anonymous, live_server, lang)
        for url in public + extra_public:
            problems += violations(axe, anonymous, live_server + url)

    checked: set[str] = set()
    for role in ("worker", "moderator", "admin"):
        page = make_page(viewport=DESKTOP)
        sign_in(page, live_server, getattr(world, role).email)
        mine = [
            e
            for e in sorted(signed_in)
            if e not in checked and _may_see(page, live_server + pages[e])
        ]
        urls = [pages[e] for e in mine] + (extra_staff if role == "worker" else [])
        checked.update(mine)
        for lang in LANGUAGES:
            set_language(page, live_server, lang)
            for url in urls:
                problems += violations(axe, page, live_server + url)
    assert checked == signed_in
    assert not problems, "\n".join(problems)
    assert external_requests == []


@pytest.mark.parametrize(
    ("lang", "zoom_in", "zoom_out"),
    [
        ("ru", "Приблизить", "Отдалить"),
        ("ky", "Жакындатуу", "Алыстатуу"),
        ("en", "Zoom in", "Zoom out"),
    ],
)
def test_map_controls_are_named_in_the_pages_language(
    live_server, make_page, make_appeal, lang, zoom_in, zoom_out
):
    appeal = make_appeal()
    page = make_page(viewport=DESKTOP)
    for url in ("/map", "/appeals/new", f"/appeals/{appeal.public_id}"):
        page.goto(f"{live_server}{url}?lang={lang}")
        button = page.locator(".leaflet-control-zoom-in").first
        button.wait_for()
        assert button.get_attribute("aria-label") == zoom_in, url
        assert page.locator(".leaflet-control-zoom-out").first.get_attribute("title") == zoom_out
