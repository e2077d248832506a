"""In Chromium: a service staff member logs in, answers an appeal, and the citizen's tracking
page shows the answer and the rating form."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import TokenPurpose
from portal.services.tokens import issue_token

PASSWORD = "correct horse battery"
ANSWER = "Яма заделана бригадой, асфальт уложен заново."
NOTE = "ВНУТРЕННЯЯ-ПОМЕТКА бригада 3"

pytestmark = pytest.mark.browser


def test_staff_answer_reaches_the_citizens_tracking_page(
    live_server, page, make_appeal, make_staff, artifacts, external_requests
):
    from playwright.sync_api import expect

    appeal = make_appeal(contact={"email": "citizen@example.kg"})
    token = issue_token(appeal, TokenPurpose.TRACK)
    db.session.commit()
    user = make_staff(role="service", service=appeal.service.code)

    page.goto(f"{live_server}/staff/inbox?lang=en")
    expect(page).to_have_url(f"{live_server}/staff/login?next=%2Fstaff%2Finbox%3Flang%3Den")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click(".staff-login button[type=submit]")
    page.wait_for_url("**/staff/inbox**")
    row = page.locator(".inbox-table tbody tr").first
    expect(row).to_contain_text(appeal.public_id)
    page.screenshot(path=artifacts / "inbox.png", full_page=True)

    row.get_by_role("link", name=appeal.public_id).click()
    page.wait_for_url(f"**/staff/appeals/{appeal.public_id}")
    page.fill("#answer-text", ANSWER)
    page.fill("#answer-note", NOTE)
    page.click("#answer-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("The answer is saved")
    expect(page.locator(".staff-appeal")).to_contain_text(NOTE)  # staff see their note
    page.screenshot(path=artifacts / "answered.png", full_page=True)

    citizen = page.context.browser.new_context(locale="ru-RU")
    try:
        citizen.route("**/*", lambda route: _local_only(route, external_requests))
        tracking = citizen.new_page()
        tracking.goto(f"{live_server}/t/{token}?lang=en")
        expect(tracking.locator(".answer-text")).to_contain_text(ANSWER)
        expect(tracking.locator("#rating-form")).to_be_visible()
        expect(tracking.locator("#rating-form input[name=score]")).to_have_count(5)
        content = tracking.content()
        assert NOTE not in content
        assert user.private_name not in content and user.email not in content
        tracking.screenshot(path=artifacts / "tracking.png", full_page=True)
    finally:
        citizen.close()
    assert external_requests == []


def _local_only(route, external: list[str]) -> None:
    from urllib.parse import urlsplit

    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        external.append(route.request.url)
        route.abort()
