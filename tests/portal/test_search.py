"""Text search ``q``: the published text of an appeal and its answers, case-insensitive in
Cyrillic too, on the list, the JSON API, the map API, the downloads and Open311 — and never
the raw text the citizen typed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

BBOX = "74.40,42.75,74.80,42.95"
PRIVATE_WORD = "Жумабеков"


@pytest.fixture
def appeals(make_appeal, make_answer):
    """pothole: the word in its text; light: in its answer; scrubbed: only in the raw text."""
    pothole = make_appeal(public_text="Глубокая ЯМА у дома номер 5", lat=42.874, lon=74.612)
    light = make_appeal(
        category="street_light", public_text="Не горит фонарь", lat=42.875, lon=74.613
    )
    make_answer(light, text="Заменили лампу, яма у столба засыпана.")
    scrubbed = make_appeal(
        text=f"Сосед {PRIVATE_WORD} выкопал канаву",
        public_text="Сосед [имя скрыто] выкопал канаву",
        lat=42.876,
        lon=74.614,
    )
    kyrgyz = make_appeal(public_text="Өзөн боюнда таштанды", lat=42.877, lon=74.615)
    return {"pothole": pothole, "light": light, "scrubbed": scrubbed, "kyrgyz": kyrgyz}


def _api_ids(client, query: str) -> set[str]:
    data = client.get(f"/api/v1/appeals?{query}")
    assert data.status_code == 200, data.json
    return {item["id"] for item in data.json["appeals"]}


def test_api_returns_only_appeals_whose_public_text_or_answer_matches(client, appeals):
    found = _api_ids(client, "q=яма")
    assert found == {appeals["pothole"].public_id, appeals["light"].public_id}
    assert client.get("/api/v1/appeals?q=яма").json["filters"] == {"q": "яма"}


@pytest.mark.parametrize("query", ["ЯМА", "Яма", "яМа"])
def test_search_ignores_case_in_cyrillic(client, appeals, query):
    assert appeals["pothole"].public_id in _api_ids(client, f"q={query}")


def test_kyrgyz_letters_fold_too(client, appeals):
    assert _api_ids(client, "q=ӨЗӨН") == {appeals["kyrgyz"].public_id}


def test_the_raw_private_text_is_never_searched(client, appeals):
    assert _api_ids(client, f"q={PRIVATE_WORD}") == set()
    assert _api_ids(client, "q=канаву") == {appeals["scrubbed"].public_id}


def test_like_wildcards_are_literal_and_blank_means_any(client, appeals):
    assert _api_ids(client, "q=%25") == set()
    assert _api_ids(client, "q=_") == set()
    assert len(_api_ids(client, "q=+++")) == 4


def test_search_combines_with_the_filters(client, appeals):
    assert _api_ids(client, "q=яма&category=street_light") == {appeals["light"].public_id}


def test_too_long_a_search_is_a_400(client):
    response = client.get("/api/v1/appeals?q=" + "я" * 101)
    assert response.status_code == 400 and "q" in response.json["errors"]


def test_the_list_page_has_a_search_box_and_searches(client, appeals):
    page = client.get("/appeals?q=яма&lang=en").get_data(as_text=True)
    assert 'type="search" name="q" value="яма"' in page
    assert appeals["pothole"].public_id in page and appeals["light"].public_id in page
    assert appeals["kyrgyz"].public_id not in page
    assert "q=%D1%8F%D0%BC%D0%B0" in page  # the twins carry the search


def test_the_map_api_searches(client, appeals):
    data = client.get(f"/api/v1/map?zoom=18&bbox={BBOX}&q=яма").json
    ids = {feature["properties"]["id"] for feature in data["features"]}
    assert ids == {appeals["pothole"].public_id, appeals["light"].public_id}


def test_downloads_search(client, appeals):
    body = client.get("/datasets/appeals.csv?q=яма").get_data(as_text=True)
    ids = {row["id"] for row in csv.DictReader(io.StringIO(body))}
    assert ids == {appeals["pothole"].public_id, appeals["light"].public_id}


def test_open311_takes_q(client, appeals):
    items = client.get("/open311/v2/requests.json?q=ЯМА").json
    ids = {item["service_request_id"] for item in items}
    assert ids == {appeals["pothole"].public_id, appeals["light"].public_id}
    assert client.get(f"/open311/v2/requests.json?q={PRIVATE_WORD}").json == []


def test_openapi_documents_q(client):
    document = client.get("/api/openapi.json").json
    for path in ("/api/v1/appeals", "/api/v1/map", "/open311/v2/requests.json"):
        operation = document["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert "q" in names, path


def test_a_search_is_kept_with_the_map_index_for_a_minute(app, client, appeals, monkeypatch):
    from portal.models import utcnow
    from portal.queries import map_index
    from portal.queries.map_index_cache import point_index

    calls, real, now = [], map_index.matching_ids, utcnow()
    monkeypatch.setattr(map_index, "matching_ids", lambda q: calls.append(q) or real(q))
    monkeypatch.setattr(map_index, "utcnow", lambda: now)
    index = point_index()
    assert index.search_ids("яма").tolist() == index.search_ids("яма").tolist()
    assert calls == ["яма"]  # panning with the same search does not search again
    monkeypatch.setattr(map_index, "utcnow", lambda: now + timedelta(minutes=1))
    index.search_ids("яма")
    assert calls == ["яма", "яма"]  # a minute later: searched again (released texts)
