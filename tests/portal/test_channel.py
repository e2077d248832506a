"""channel: how an appeal arrived — recorded by every entry point, published everywhere
the public record goes, and counted on /performance."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appeal
from portal.services.moderation import publish_appeal

DESCRIPTION = "Глубокая яма на проезжей части у остановки, машины объезжают по встречке."
FORM = {"city": "bishkek", "category": "pothole", "description": DESCRIPTION,
        "lat": "42.8746", "lon": "74.6122", "consent": "true"}  # fmt: skip
OPEN311 = {"service_code": "pothole", "lat": "42.8746", "long": "74.6122",
           "description": DESCRIPTION}  # fmt: skip
NAMED_KEY, PLAIN_KEY = "oshcity=named-key-0123456789", "plain-key-YWJjZGVmZ2hpams="


@pytest.fixture
def keyed(app):
    app.config["OPEN311_API_KEYS"] = (NAMED_KEY, PLAIN_KEY)
    return app.test_client()


def _newest_channel() -> str:
    return db.session.scalars(select(Appeal.channel).order_by(Appeal.id.desc())).first()


def test_every_entry_point_records_its_channel(keyed):
    assert keyed.post("/appeals/new", data=FORM).status_code == 302
    assert _newest_channel() == "web"
    body = {**FORM, "consent": True, "lat": 42.8746, "lon": 74.6122}
    assert keyed.post("/api/v1/appeals", json=body).status_code == 201
    assert _newest_channel() == "api"
    named = {**OPEN311, "api_key": "named-key-0123456789"}
    assert keyed.post("/open311/v2/requests.json", data=named).status_code == 201
    assert _newest_channel() == "open311:oshcity"
    # A key whose own text holds "=" (base64 padding) is a key, not a name.
    plain = {**OPEN311, "api_key": PLAIN_KEY}
    assert keyed.post("/open311/v2/requests.json", data=plain).status_code == 201
    assert _newest_channel() == "open311"
    assert (
        keyed.post("/open311/v2/requests.json", data={**OPEN311, "api_key": "oshcity"}).status_code
        == 403
    )


def test_the_channel_is_published_wherever_the_record_goes(keyed, make_staff):
    named = {**OPEN311, "api_key": "named-key-0123456789"}
    assert keyed.post("/open311/v2/requests.json", data=named).status_code == 201
    appeal = db.session.scalars(select(Appeal).order_by(Appeal.id.desc())).first()
    publish_appeal(appeal.id, make_staff(role="moderator"))
    public_id = appeal.public_id

    assert keyed.get(f"/api/v1/appeals/{public_id}").json["channel"] == "open311:oshcity"
    listed = keyed.get("/api/v1/appeals").json["appeals"]
    assert [a["channel"] for a in listed] == ["open311:oshcity"]
    [request] = keyed.get(f"/open311/v2/requests/{public_id}.json?extensions=true").json
    assert request["extended_attributes"]["channel"] == "open311:oshcity"
    xml = keyed.get(f"/open311/v2/requests/{public_id}.xml?extensions=true").data
    assert b"<channel>open311:oshcity</channel>" in xml

    rows = list(csv.DictReader(io.StringIO(keyed.get("/datasets/appeals.csv").data.decode())))
    assert [row["channel"] for row in rows] == ["open311:oshcity"]
    features = keyed.get("/datasets/appeals.geojson").json["features"]
    assert features[0]["properties"]["channel"] == "open311:oshcity"
    assert json.loads(keyed.get("/datasets/appeals.json").data)[0]["channel"] == "open311:oshcity"

    package = json.loads(keyed.get("/datasets/datapackage.json").data)
    appeals = next(r for r in package["resources"] if r["name"] == "appeals")
    [spec] = [f for f in appeals["schema"]["fields"] if f["name"] == "channel"]
    assert spec["constraints"]["required"] is True and "open311" in spec["constraints"]["pattern"]
    assert "channel" in keyed.get("/datasets/dictionary?lang=en").get_data(as_text=True)

    page = keyed.get(f"/appeals/{public_id}?lang=en").get_data(as_text=True)
    assert "Received via" in page and "Open311: oshcity" in page


def test_performance_counts_the_channels_and_suppresses_small_ones(app, make_appeal):
    for index in range(6):
        make_appeal(text=f"{DESCRIPTION} {index}")
    odd = make_appeal()
    odd.channel = "open311:oshcity"
    db.session.commit()
    today = date.today()
    window = f"from={today - timedelta(days=30)}&to={today}"
    data = app.test_client().get(f"/performance.json?{window}").json
    assert [(row["channel"], row["received"], row["answered"]) for row in data["channels"]] == [
        ("web", 6, 0),
        ("open311:oshcity", None, None),  # fewer than 5: suppressed
    ]
    page = app.test_client().get(f"/performance?lang=en&{window}").get_data(as_text=True)
    assert "How appeals arrived" in page and "Web form" in page
