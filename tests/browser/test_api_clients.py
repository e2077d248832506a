"""In Chromium: an administrator creates an API client for a city app, sees its key once,
registers its webhook URL and revokes the key; the city app then gets a 403 that says so."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.integrations.keys import hash_key
from portal.integrations.models import ApiClient

PASSWORD = "correct horse battery"
HOOK = "https://hooks.mycity.example/portal"

pytestmark = pytest.mark.browser


def test_an_admin_creates_a_client_registers_a_webhook_and_revokes_the_key(
    live_server, page, make_staff, artifacts, external_requests
):
    from playwright.sync_api import expect

    admin = make_staff(role="admin")
    page.goto(f"{live_server}/staff/admin/?lang=en")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.click(".staff-login button[type=submit]")
    page.get_by_role("link", name="API clients (city apps): keys and webhooks").click()
    expect(page.locator("h1")).to_have_text("API clients")
    page.get_by_role("link", name="Add an API client").click()

    page.fill("#f-name", "My City")
    page.fill("#f-slug", "mycity")
    page.fill("#f-contact", "it@mycity.example")
    page.get_by_role("button", name="Create the key").click()
    key = page.locator('[data-secret="key"]').inner_text()
    assert re.fullmatch(r"ak_\S{20,}", key), key
    page.screenshot(path=artifacts / "created.png", full_page=True)
    client = db.session.query(ApiClient).one()
    assert client.key_hash == hash_key(key)  # stored hashed

    # Shown once: the client's page, opened again, has only the key's prefix.
    client_url = f"{live_server}/staff/admin/clients/{client.id}?lang=en"
    page.goto(client_url)
    expect(page.locator("h1")).to_contain_text("mycity")
    assert key not in page.content()
    expect(page.locator('[data-secret="key"]')).to_have_count(0)
    # The key works for the city app.
    assert page.request.get(f"{live_server}/api/v1/client", headers={"X-Api-Key": key}).ok

    page.fill("#f-url", HOOK)
    page.get_by_role("button", name="Save the webhook").click()
    secret = page.locator('[data-secret="webhook"]').inner_text()
    assert secret.startswith("whsec_")
    expect(page.locator("#f-url")).to_have_value(HOOK)
    db.session.expire_all()
    assert db.session.get(ApiClient, client.id).webhook_url == HOOK
    page.goto(client_url)
    assert secret not in page.content()  # the signing secret is shown once too

    page.get_by_role("button", name="Revoke the key").click()
    expect(page.locator(".flash")).to_contain_text("The key was revoked.")
    expect(page.locator(".facts")).to_contain_text("revoked")
    expect(page.get_by_role("button", name="Revoke the key")).to_have_count(0)
    page.screenshot(path=artifacts / "revoked.png", full_page=True)
    refused = page.request.get(f"{live_server}/api/v1/client", headers={"X-Api-Key": key})
    assert refused.status == 403 and "revoked" in refused.text()
    page.goto(f"{live_server}/staff/admin/clients/?lang=en")
    expect(page.locator(".admin-table tbody tr").first).to_contain_text("revoked")
    assert external_requests == []
