"""In Chromium: the search box on the list and on the map, "this affects me too" on the
appeal page and its count in the map popup."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_list_search_box_finds_by_published_text(live_server, page, make_appeal):
    pothole = make_appeal(public_text="Глубокая яма у школы", lat=42.874, lon=74.612)
    light = make_appeal(
        category="street_light", public_text="Не горит фонарь", lat=42.875, lon=74.613
    )
    page.goto(f"{live_server}/appeals?lang=ru")
    page.fill("input[name=q]", "ЯМА")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**/appeals?*q=*")
    cards = page.locator(".appeal-card")
    assert cards.count() == 1
    assert pothole.public_id in cards.first.inner_text()
    assert light.public_id not in page.content()
    assert page.locator("input[name=q]").input_value() == "ЯМА"


def test_the_list_search_box_finds_word_forms_most_relevant_first(live_server, page, make_appeal):
    """Issue 18: "ямы" finds "яма" and "ямой"; the appeal about pits comes first."""
    once = make_appeal(
        public_text="Во дворе мусор, лужи, сломанная скамейка и где-то яма у гаражей",
        lat=42.874, lon=74.612,
    )  # fmt: skip
    often = make_appeal(public_text="Яма за ямой на всей улице, яма у школы", lat=42.875)
    make_appeal(public_text="Не горит фонарь", category="street_light", lat=42.876)
    page.goto(f"{live_server}/appeals?lang=ru")
    page.fill("input[name=q]", "ямы")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**/appeals?*q=*")
    cards = page.locator(".appeal-card")
    assert cards.count() == 2
    assert often.public_id in cards.nth(0).inner_text()
    assert once.public_id in cards.nth(1).inner_text()


def test_the_map_search_box_narrows_the_markers(live_server, page, make_appeal, external_requests):
    make_appeal(public_text="Глубокая яма у школы", lat=42.8620, lon=74.5850)
    make_appeal(category="street_light", public_text="Не горит фонарь", lat=42.8622, lon=74.5870)
    page.goto(f"{live_server}/map#16/42.8620/74.5850")
    page.wait_for_selector("#map-app[data-total='2']", state="attached")
    page.fill("input[name=q]", "фонари")  # a word form of "фонарь"
    page.press("input[name=q]", "Enter")
    page.wait_for_function("() => location.search.includes('q=')")
    page.wait_for_selector("#map-app[data-total='1']", state="attached")
    assert page.locator(".appeal-marker").count() == 1
    assert external_requests == []


def test_me_too_on_the_appeal_page_and_in_the_popup(live_server, page, make_appeal):
    appeal = make_appeal(lat=42.8746, lon=74.6122)
    page.goto(f"{live_server}/appeals/{appeal.public_id}?lang=en")
    page.click("text=This affects me too")
    page.wait_for_selector(".support-done")
    assert "1 resident says this affects them too." in page.inner_text("#support")
    page.goto(f"{live_server}/map?lang=en#17/42.8746/74.6122")
    page.locator(f'.appeal-marker[data-appeal-ids="{appeal.public_id}"]').click()
    popup = page.locator(".leaflet-popup-content")
    popup.locator(".popup-supporters").wait_for()
    assert popup.locator(".popup-supporters").inner_text() == "Residents affected too: 1"


def test_me_too_with_an_email_waits_for_the_mailed_link(live_server, page, make_appeal):
    appeal = make_appeal()
    page.goto(f"{live_server}/appeals/{appeal.public_id}?lang=en")
    page.fill("#support-email", "me.too@example.kg")
    page.click("text=This affects me too")
    page.wait_for_selector("#support-message")
    assert "Check your mailbox" in page.inner_text("#support-message")
    page.click(f"text=Back to appeal {appeal.public_id}")
    page.wait_for_selector("#support")
    assert "affects them too" not in page.inner_text("#support")  # not counted yet
