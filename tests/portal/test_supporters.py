""" "This affects me too": one per browser, only on published, not closed appeals,
rate-limited, and counted publicly as ``supporters`` wherever the public record goes."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from portal.extensions import db
from portal.models import AppealStatus, Supporter


def _support(client, public_id: str):
    return client.post(f"/appeals/{public_id}/support")


def _count(client, public_id: str) -> int:
    return client.get(f"/api/v1/appeals/{public_id}").json["supporters"]


def test_a_browser_supports_once_and_the_count_is_public(app, client, make_appeal):
    appeal = make_appeal()
    assert _count(client, appeal.public_id) == 0
    response = _support(client, appeal.public_id)
    assert response.status_code == 303
    assert response.location.endswith(f"/appeals/{appeal.public_id}#support")
    assert _support(client, appeal.public_id).status_code == 303  # again: still one
    assert _count(client, appeal.public_id) == 1
    other = app.test_client()  # another browser (no cookie yet)
    _support(other, appeal.public_id)
    assert _count(client, appeal.public_id) == 2


def test_only_a_keyed_hash_of_the_browser_is_stored(client, make_appeal):
    appeal = make_appeal()
    _support(client, appeal.public_id)
    cookie = client.get_cookie("supporter", domain="portal.test")
    assert cookie is not None and cookie.http_only
    stored = db.session.scalars(select(Supporter.browser_hash)).one()
    assert len(stored) == 64 and cookie.value not in stored


def test_the_page_shows_the_count_and_thanks_the_supporter(client, make_appeal):
    appeal = make_appeal()
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert "residents say this affects them too" not in page  # no "0 residents…"
    assert "This affects me too" in page
    _support(client, appeal.public_id)
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert "1 resident says this affects them too." in page
    assert "You said this affects you too." in page
    page = client.get(f"/appeals/{appeal.public_id}?lang=ru").get_data(as_text=True)
    assert "1 житель отметил" in page


def test_closed_unpublished_and_unknown_appeals_cannot_be_supported(client, make_appeal):
    closed = make_appeal(status=AppealStatus.CLOSED)
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    assert _support(client, closed.public_id).status_code == 409
    page = client.get(f"/appeals/{closed.public_id}?lang=en").text
    assert "This affects me too" not in page
    assert "affects them too" not in page and 'id="support"' not in page  # nothing to say
    assert _support(client, waiting.public_id).status_code == 404
    assert _support(client, "BSK-2026-999999").status_code == 404
    assert db.session.scalars(select(Supporter)).all() == []


def test_supports_are_rate_limited_per_address(make_app, make_appeal):
    app = make_app(RATELIMIT_ENABLED=True, SUPPORT_RATE_LIMIT="2 per hour")
    with app.app_context():
        appeals = [make_appeal() for _ in range(3)]
        ids = [a.public_id for a in appeals]
    client = app.test_client()
    assert [_support(client, public_id).status_code for public_id in ids] == [303, 303, 429]


def test_the_count_is_in_downloads_open311_and_the_data_package(client, make_appeal):
    appeal = make_appeal()
    _support(client, appeal.public_id)
    rows = list(csv.DictReader(io.StringIO(client.get("/datasets/appeals.csv").text)))
    assert rows[0]["supporters"] == "1"
    items = client.get(f"/open311/v2/requests/{appeal.public_id}.json?extensions=true").json
    assert items[0]["extended_attributes"]["supporters"] == 1
    package = client.get("/datasets/datapackage.json").json
    appeals = next(r for r in package["resources"] if r["name"] == "appeals")
    field = next(f for f in appeals["schema"]["fields"] if f["name"] == "supporters")
    assert field["type"] == "integer" and field["constraints"]["minimum"] == 0
