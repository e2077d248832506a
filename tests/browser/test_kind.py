"""A resident on a phone proposes something: chooses "proposal" on the form (each kind
says in one line what it is for), sends it, and finds it with the map's kind filter."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appeal

pytestmark = pytest.mark.browser

PHONE = (390, 844)
IDEA = "Предлагаю посадить карагачи вдоль улицы Ахунбаева, летом там совсем нет тени."


def test_a_resident_chooses_proposal_and_finds_it_by_kind(
    app, live_server, make_page, make_staff, external_requests, artifacts
):
    page = make_page(viewport=PHONE, locale="en-US")
    page.goto(f"{live_server}/appeals/new")
    assert page.locator("input[name=kind][value=problem]").is_checked()  # the default
    assert page.get_by_text("which trees to plant").is_visible()
    page.get_by_text("Proposal", exact=True).click()  # the label's text chooses it
    assert page.locator("input[name=kind][value=proposal]").is_checked()
    page.select_option("#city", "bishkek")
    page.select_option("#category", "pothole")
    page.fill("#description", IDEA)
    page.wait_for_selector("#map.leaflet-container")
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    page.check("#consent")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    page.screenshot(path=str(artifacts / "appeal-kind.png"), full_page=True)
    page.click("#send")
    page.wait_for_selector("#preview:not([hidden])")
    page.click("#send")  # the one send button now confirms
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{43,}\?receipt=1$"))
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.kind == "proposal"

    from portal.services.moderation import publish_appeal

    publish_appeal(appeal.id, make_staff(role="moderator"))
    page.goto(f"{live_server}/appeals")
    page.select_option("select[name=kind]", "question")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"kind=question"))
    assert appeal.public_id not in page.inner_text("main")
    page.select_option("select[name=kind]", "proposal")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"kind=proposal"))
    assert appeal.public_id in page.inner_text("main")
    assert not external_requests
