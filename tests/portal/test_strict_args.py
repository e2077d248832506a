"""Unknown or misspelt query arguments are refused with a 400 naming them, on every public
address that reads a query string (they used to be ignored: a misspelt filter showed all)."""

from __future__ import annotations

import pytest

from portal.schemas.filters import AppealFiltersSchema
from portal.schemas.map import ListQueryDocSchema, PageArgsSchema
from portal.strict_args import allowed_names

JSON_ADDRESSES = (
    "/api/v1/appeals",
    "/api/v1/map?zoom=12",
    "/datasets/appeals.csv",
    "/datasets/appeals.geojson",
    "/datasets/categories.json",
    "/performance.json",
    "/performance.csv",
    "/news.atom",
)
HTML_ADDRESSES = (
    "/", "/map", "/appeals", "/performance", "/performance/about", "/news", "/alerts/subscribe",
)  # fmt: skip
OPEN311_ADDRESSES = (
    "/open311/v2/requests.json",
    "/open311/v2/services.json",
    "/open311/v2/discovery.json",
)


def _with(address: str, query: str) -> str:
    return f"{address}{'&' if '?' in address else '?'}{query}"


@pytest.mark.parametrize("address", JSON_ADDRESSES)
def test_json_addresses_name_the_unknown_argument(client, address):
    response = client.get(_with(address, "frm=2026-01-01&lang=en"))
    assert response.status_code == 400
    errors = response.json["errors"]
    assert list(errors) == ["frm"]
    assert "Unknown parameter" in errors["frm"][0]


def test_the_message_lists_what_the_address_accepts(client):
    errors = client.get("/api/v1/appeals?ctiy=osh&lang=en").json["errors"]
    message = errors["ctiy"][0]
    for name in ("city", "category", "date_from", "bbox", "page", "per_page"):
        assert name in message
    assert "lang" not in message  # always accepted, so not worth listing


def test_a_misspelt_filter_on_the_map_api_is_refused_not_ignored(client, make_appeal):
    make_appeal()
    assert client.get("/api/v1/map?zoom=12&date_from=2026-01-01").status_code == 200
    response = client.get("/api/v1/map?zoom=12&from=2026-01-01")
    assert response.status_code == 400 and "from" in response.json["errors"]


def test_service_is_refused_on_performance_but_its_own_arguments_pass(client):
    assert client.get("/performance.json?city=bishkek&group=service").status_code == 200
    response = client.get("/performance.json?service=water")
    assert response.status_code == 400 and list(response.json["errors"]) == ["service"]


@pytest.mark.parametrize("address", HTML_ADDRESSES)
def test_html_pages_show_the_error_page_naming_the_argument(client, address):
    response = client.get(f"{address}?servce=water&lang=en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "does not accept some of the parameters" in page
    assert "“servce”" in page


def test_the_error_page_is_translated(client):
    page = client.get("/appeals?zzz=1&lang=ru").get_data(as_text=True)
    assert "Неизвестный параметр" in page
    page = client.get("/appeals?zzz=1&lang=ky").get_data(as_text=True)
    assert "Белгисиз параметр" in page


def test_names_from_the_filter_form_and_paging_are_accepted(client, make_appeal):
    make_appeal()
    form = "city=&category=&service=&district=&status=&date_from=&date_to=&overdue=1"
    assert client.get(f"/appeals?{form}&page=1&per_page=5&lang=ky").status_code == 200
    assert client.get(f"/map?{form}").status_code == 200
    assert client.get(f"/api/v1/appeals?{form}&page=1").status_code == 200


def test_a_hostile_argument_name_is_escaped_and_cut(client):
    name = "<script>" + "x" * 200
    response = client.get("/appeals", query_string={name: "1"})
    assert response.status_code == 400
    assert "<script>" not in response.get_data(as_text=True)
    errors = client.get("/api/v1/appeals", query_string={name: "1"}).json["errors"]
    assert all(len(key) <= 40 for key in errors)


@pytest.mark.parametrize("address", OPEN311_ADDRESSES)
def test_open311_answers_in_its_error_shape(client, address):
    response = client.get(f"{address}?service=pothole")
    assert response.status_code == 400
    assert response.json[0]["code"] == 400
    assert response.json[0]["description"].startswith("service: ")


def test_open311_accepts_api_key_and_its_own_arguments(client):
    response = client.get("/open311/v2/requests.json?api_key=k&status=open&page_size=5&lang=en")
    assert response.status_code == 200


def test_the_allowed_names_are_the_schemas_fields():
    """Declared once: what the list accepts is what its schemas (and OpenAPI) describe."""
    expected = set(AppealFiltersSchema._declared_fields) | set(PageArgsSchema._declared_fields)
    assert set(allowed_names(ListQueryDocSchema)) == expected | {"lang"}


def test_news_and_alert_links_keep_working(client):
    assert client.get("/news?page=1&lang=ky").status_code == 200
    assert client.get("/alerts/subscribe?city=bishkek&category=pothole").status_code == 200


@pytest.mark.parametrize("name", ["area", "email"])
def test_the_alert_form_refuses_what_a_link_cannot_preset(client, name):
    """The drawn area and the address are posted, never read from a link: such an argument
    was silently ignored, so the form looked preset while it was not."""
    response = client.get(f"/alerts/subscribe?{name}=x&lang=en")
    assert response.status_code == 400
    assert f"“{name}”" in response.get_data(as_text=True)
