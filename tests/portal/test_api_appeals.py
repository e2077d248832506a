"""GET /api/v1/appeals (paginated, filtered) and /api/v1/appeals/<public_id> (+ GeoJSON)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.models import AppealStatus, utcnow

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_list_is_paginated_with_links_total_and_stable_order(client, make_appeal):
    now = utcnow()
    made = [make_appeal(submitted_at=now - timedelta(days=i)) for i in range(7)]
    first = client.get("/api/v1/appeals?per_page=3").json
    assert first["total"] == 7 and first["pages"] == 3 and first["page"] == 1
    assert first["links"]["prev"] is None
    assert "page=2" in first["links"]["next"] and "page=3" in first["links"]["last"]
    second = client.get(first["links"]["next"]).json
    third = client.get(second["links"]["next"]).json
    ids = [a["id"] for page in (first, second, third) for a in page["appeals"]]
    # newest published first; every appeal exactly once
    assert ids == [a.public_id for a in made]
    assert third["links"]["next"] is None
    assert first["links"]["html"].startswith("http://portal.test/appeals")


def test_per_page_is_capped(client, make_appeal, app):
    make_appeal()
    data = client.get("/api/v1/appeals?per_page=100000").json
    assert data["per_page"] == app.config["MAX_PAGE_SIZE"]


def test_list_honours_the_shared_filters(client, make_appeal):
    light = make_appeal(category="street_light")
    make_appeal(category="pothole")
    make_appeal(city="osh", category="street_light", lat=40.53, lon=72.80)
    data = client.get("/api/v1/appeals?city=bishkek&category=street_light").json
    assert [a["id"] for a in data["appeals"]] == [light.public_id]
    assert data["filters"] == {"city": "bishkek", "category": "street_light"}


def test_list_never_shows_unpublished_appeals(client, make_appeal):
    make_appeal(status=AppealStatus.SUBMITTED)
    make_appeal(status=AppealStatus.REJECTED)
    assert client.get("/api/v1/appeals").json["total"] == 0


def test_invalid_list_arguments_get_400(client):
    for query in ("page=0", "page=x", "per_page=-1", "status=nope", "date_to=31.01.2026"):
        response = client.get(f"/api/v1/appeals?{query}")
        assert response.status_code == 400, query
        assert response.json["errors"]


def test_one_appeal_as_json_with_timeline_answers_and_public_fields_only(
    client, make_appeal, make_answer
):
    appeal = make_appeal(
        text="Иванов Иван, тел. +996 555 123 456",
        public_text="[ИМЯ], тел. [ТЕЛЕФОН]",
        contact={"name": "Иванов Иван", "email": "ivan@example.kg", "phone": "+996555123456"},
        lat=42.874612,
        lon=74.612301,
    )
    make_answer(appeal, text="Яма заделана.")
    response = client.get(f"/api/v1/appeals/{appeal.public_id}")
    assert response.status_code == 200
    data = response.json
    assert data["id"] == appeal.public_id
    assert data["text"] == "[ИМЯ], тел. [ТЕЛЕФОН]"
    assert data["status"] == "answered"
    assert data["latest_answer_text"] == "Яма заделана."
    assert [e["kind"] for e in data["timeline"]] == ["submitted", "published", "answered"]
    body = response.get_data(as_text=True)
    for secret in ("Иванов", "ivan@example.kg", "555123456", "42.874612", "74.612301"):
        assert secret not in body
    assert data["links"]["geojson"].endswith(f"/api/v1/appeals/{appeal.public_id}.geojson")


def test_one_appeal_as_geojson(client, make_appeal):
    appeal = make_appeal()
    response = client.get(f"/api/v1/appeals/{appeal.public_id}.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    feature = response.json
    assert feature["type"] == "Feature" and feature["id"] == appeal.public_id
    lon, lat = feature["geometry"]["coordinates"]
    assert (lat, lon) == (appeal.public_lat, appeal.public_lon)
    assert "lat" not in feature["properties"]


def test_sensitive_appeal_has_no_geometry(client, make_appeal):
    appeal = make_appeal(category="social_help")
    feature = client.get(f"/api/v1/appeals/{appeal.public_id}.geojson").json
    assert feature["geometry"] is None
    assert client.get(f"/api/v1/appeals/{appeal.public_id}").json["lat"] is None


def test_unpublished_or_unknown_appeal_is_404_in_json(client, make_appeal):
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    for url in (f"/api/v1/appeals/{waiting.public_id}", "/api/v1/appeals/BSK-2026-999999"):
        response = client.get(url)
        assert response.status_code == 404 and response.json["error"]["code"] == 404


def test_hostile_text_is_data_in_json_not_markup(client, make_appeal):
    appeal = make_appeal(public_text=HOSTILE)
    data = client.get(f"/api/v1/appeals/{appeal.public_id}").json
    assert data["text"] == HOSTILE  # a JSON string; clients insert it as text
    assert client.get(f"/api/v1/appeals/{appeal.public_id}").mimetype == "application/json"


def test_api_times_use_bishkek_time_with_its_offset_like_the_datasets(
    client, make_appeal, make_answer
):
    at = datetime(2026, 11, 3, 8, 7, 42, tzinfo=UTC)
    appeal = make_appeal(submitted_at=at)
    make_answer(appeal, at=at + timedelta(hours=3))
    data = client.get(f"/api/v1/appeals/{appeal.public_id}").json
    assert data["submitted_at"] == "2026-11-03T14:07:42+06:00"
    assert data["answers"][0]["created_at"] == "2026-11-03T17:07:42+06:00"
    assert data["timeline"][0]["at"] == "2026-11-03T14:07:42+06:00"
    listed = client.get("/api/v1/appeals").json
    assert listed["appeals"][0]["submitted_at"] == "2026-11-03T14:07:42+06:00"
    assert (listed.get("data_as_of") or listed["meta"]["data_as_of"]).endswith("+06:00")
    # The same instant, written the same way, in the CSV download.
    csv = client.get("/datasets/appeals.csv").get_data(as_text=True)
    assert "2026-11-03T14:07:42+06:00" in csv


def test_the_citizens_json_gives_times_with_the_same_offset(client):
    from tests.portal.test_submission import form

    response = client.post("/appeals/new", data=form())
    token = response.headers["Location"].split("/t/")[1].split("?")[0]
    data = client.get(f"/api/v1/track/{token}").json
    for moment in (data["submitted_at"], data["due_at"], data["timeline"][0]["at"]):
        assert moment.endswith("+06:00") and len(moment) == 25  # to the second
