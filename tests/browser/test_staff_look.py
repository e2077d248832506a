"""In Chromium, at a phone's and a laptop's width: the staff pages share one look (the same
heading, navigation and buttons), their forms have no unstyled control, the moderation queue
does not scroll sideways on a phone, and the public alert subscription form is laid out like
the citizen's appeal form."""

from __future__ import annotations

import pytest

from tests.browser.test_csp import sign_in
from tests.portal_world import build_world, page_urls

pytestmark = pytest.mark.browser

VIEWPORTS = [(390, 844), (1366, 900)]
#: The look of a page: its h1's size and weight, the staff navigation, the log-out button.
LOOK = """() => {
  const h1 = getComputedStyle(document.querySelector('h1'));
  const button = getComputedStyle(document.querySelector('.staff-nav button'));
  return {h1: [h1.fontSize, h1.fontWeight, h1.lineHeight], button: [button.backgroundColor,
    button.borderRadius, button.fontSize], nav: !!document.querySelector('.staff-nav')};
}"""
#: Text fields, lists and text areas that are narrower than their form or not styled.
UNSTYLED = """(form) => {
  const width = form.getBoundingClientRect().width;
  return [...form.querySelectorAll(
      'input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea')]
    .filter((el) => {
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      const label = el.labels && el.labels[0] && el.labels[0].getBoundingClientRect();
      return box.width < 0.75 * width || style.borderRadius === '0px'
        || (label && label.bottom > box.top + 1);  // the label above its field
    })
    .map((el) => el.id || el.name);
}"""


#: The staff pages compared, by endpoint.
STAFF_PAGES = {
    "inbox": "staff.inbox",
    "appeal": "staff.appeal",
    "moderation": "staff.moderation_queue",
    "news form": "staff.news_new",
    "administration": "staff.admin_index",
}


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}px")
def test_staff_pages_share_one_look_and_forms_are_styled(
    app, live_server, make_page, make_staff, make_appeal, artifacts, viewport
):
    world = build_world(make_staff)
    make_appeal(service=world.published.service.code)  # an open appeal in the worker's inbox
    urls = page_urls(app, world)
    looks = {}
    for role, names in (("worker", ("inbox", "appeal")),
                        ("admin", ("moderation", "news form", "administration"))):  # fmt: skip
        page = make_page(viewport=viewport)
        sign_in(page, live_server, getattr(world, role).email)
        for name in names:
            response = page.goto(live_server + urls[STAFF_PAGES[name]] + "?lang=ru")
            assert response.status == 200, name
            page.screenshot(path=str(artifacts / f"{name}-{viewport[0]}.png"), full_page=True)
            looks[name] = page.evaluate(LOOK)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport[0]
            if name == "inbox" and viewport[0] < 768:  # rows as cards: each value says its column
                cell = page.locator(".inbox-table td.supporters").first
                before = cell.evaluate("e => getComputedStyle(e, '::before').content")
                assert "Поддержали" in before
            if name == "administration" and viewport[0] < 640:  # lists as cards, no scrolling
                for table in page.locator("table.admin-table").all():
                    assert table.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
                mail = page.locator("table.admin-table td[data-label]").first
                assert mail.bounding_box()["x"] + mail.bounding_box()["width"] <= viewport[0]
            if name == "news form":
                assert page.locator("form textarea").count() == 3
                assert page.locator("section.admin-form form").evaluate(UNSTYLED) == []
    # The inbox's h1 holds the service's long name: sized so no word is split on a phone.
    assert float(looks["inbox"]["h1"][0][:-2]) <= 30.5
    first = looks["inbox"]
    assert all(look == first for look in looks.values()), looks


def test_the_moderation_queue_is_a_list_of_cards_on_a_phone(live_server, make_page, make_staff):
    world = build_world(make_staff)
    page = make_page(viewport=(390, 844))
    sign_in(page, live_server, world.moderator.email)
    page.goto(live_server + "/staff/moderation?lang=ru")
    queue = page.locator("table.moderation-queue")
    assert queue.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert not queue.locator("thead").is_visible()
    row = queue.locator("tbody tr").first
    assert world.waiting.public_id in row.inner_text()
    photos = row.locator("td[data-label]").last
    shown = photos.evaluate("e => getComputedStyle(e, '::before').content")
    assert "Фотографии" in shown and photos.inner_text().strip() == "1"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}px")
def test_the_alert_subscription_form_is_styled(live_server, make_page, artifacts, viewport):
    page = make_page(viewport=viewport)
    page.goto(live_server + "/alerts/subscribe?lang=ru")
    page.screenshot(path=str(artifacts / f"alerts-{viewport[0]}.png"), full_page=True)
    form = page.locator("form[action$='/alerts/subscribe']")
    assert form.evaluate(UNSTYLED) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport[0]
    button = form.locator("button[type=submit]").bounding_box()
    assert button["height"] >= 44  # a thumb's target, as on the appeal form
    radios = form.locator("input[type=radio][name=scope]")
    assert radios.count() == 5
    boxes = [radios.nth(i).bounding_box() for i in range(5)]
    assert all(
        a["y"] + a["height"] <= b["y"] for a, b in zip(boxes[:-1], boxes[1:], strict=True)
    )  # one per line
