"""Absurd input gets a 400 with the endpoint's usual errors and changes nothing — on every
endpoint of the URL map (pages, API, Open311, datasets, staff), discovered, not listed.

Query strings: an endpoint *reads* a parameter when a malformed value gets a 400; every
such endpoint must refuse absurd values (dates at the ends of Python's range, page numbers
of twenty digits) with a 400 naming the parameter, and no endpoint may fail on them.
Bodies: every POST route gets JSON that Python reads but JSON does not allow (NaN,
Infinity, 1e999), that crashes a naive parser (deep nesting) or costs too much (hundreds of
thousands of values, more bytes than any request may have).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import utcnow
from portal.workdays import BISHKEK
from tests.portal_world import PASSWORD, build_world, jpeg, page_urls

#: Absurd values per query parameter (a malformed value "x" tells who reads it).
ABSURD = {
    "date_from": ("0001-01-01", "9999-12-31", "1999-12-31"),
    "date_to": ("0001-01-01", "9999-12-31", "2100-01-01"),
    "from": ("0001-01-01", "9999-12-31"),
    "to": ("0001-01-01", "9999-12-31"),
    "page": ("99999999999999999999", "1000001", "0"),
    "per_page": ("99999999999999999999", "1000001", "0"),
    "page_size": ("99999999999999999999", "0"),
    "start_date": ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z"),
    "end_date": ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2100-01-01T00:00:00Z"),
}
#: Open311's own date-times are clamped to the representable range, by design (its test).
#: What an endpoint needs besides its path to answer 200.
BASE_QUERY = {"api.map_data": {"zoom": "12", "bbox": "74.48,42.80,74.72,42.93"}}
GENERIC_400 = "The request could not be understood."

BAD_BODIES = {
    "nested arrays": "[" * 100_000 + "]" * 100_000,
    "nested objects": '{"a":' * 20_000 + "1" + "}" * 20_000,
    "NaN": '{"score": NaN, "lat": NaN, "lon": 74.6}',
    "Infinity": '{"score": Infinity, "lat": -Infinity}',
    "overflowing number": '{"score": 1e999, "lat": 1e999}',
    "huge integer": '{"score": ' + "9" * 5000 + "}",
    "too many values": "[" + ",".join(["0"] * 150_000) + "]",
    "malformed": '{"category": "pothole",',
}
TOO_LARGE_LIMIT = 200_000  # MAX_CONTENT_LENGTH for the "too large" body


@pytest.fixture
def world(make_staff):
    return build_world(make_staff)


@pytest.fixture
def clients(app, world) -> dict:
    """Browsers: anonymous, then signed in as each staff role (most endpoints need one)."""
    made = {"anonymous": app.test_client()}
    for role in ("admin", "moderator", "worker"):
        client = app.test_client()
        email = getattr(world, role).email
        response = client.post("/staff/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
        made[role] = client
    return made


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def working_client(clients, url: str, query: dict):
    """The first browser for which the page answers 200 (None: nobody may see it)."""
    for client in clients.values():
        if client.get(url, query_string=query).status_code == 200:
            return client
    return None


def assert_names_the_parameter(endpoint: str, response, param: str) -> None:
    if endpoint.startswith("open311."):
        errors = response.get_json()
        assert errors and all(e["code"] == 400 for e in errors), response.data
        assert any(e["description"].startswith(f"{param}:") for e in errors), errors
    elif response.is_json:
        assert param in response.get_json()["errors"], response.data
    else:
        page = response.get_data(as_text=True)
        assert response.mimetype == "text/html" and GENERIC_400 not in page
        assert 'class="field-error"' in page or "error" in page


def test_absurd_dates_and_page_numbers_get_400_wherever_they_are_read(app, world, clients):
    before = row_counts()
    readers = defaultdict(set)
    for endpoint, url in sorted(page_urls(app, world).items()):
        base = {"lang": "en", **BASE_QUERY.get(endpoint, {})}
        client = working_client(clients, url, base)
        if client is None:
            continue
        for param, values in ABSURD.items():
            malformed = client.get(url, query_string={**base, param: "x"})
            assert malformed.status_code in (200, 400), (endpoint, param)
            for value in values:
                response = client.get(url, query_string={**base, param: value})
                if malformed.status_code == 200:  # the endpoint ignores this parameter
                    assert response.status_code == 200, (endpoint, param, value)
                    continue
                readers[param].add(endpoint)
                assert response.status_code == 400, (endpoint, param, value)
                assert_names_the_parameter(endpoint, response, param)
    assert row_counts() == before
    # The discovery found the endpoints that are known to read these parameters.
    filtered = {"public.home", "public.map_page", "public.appeal_list", "api.appeals_index",
                "api.map_data", "datasets.download"}  # fmt: skip
    assert filtered <= readers["date_from"] and filtered <= readers["date_to"]
    performance = {"public.performance", "public.performance_json", "public.performance_csv"}
    assert performance <= readers["from"] and performance <= readers["to"]
    assert {"public.appeal_list", "api.appeals_index", "staff.inbox"} <= readers["page"]
    assert {"public.appeal_list", "api.appeals_index"} <= readers["per_page"]
    assert {"open311.service_requests"} <= readers["page_size"]
    assert {"open311.service_requests"} <= readers["start_date"] & readers["end_date"]


def test_bodies_json_does_not_allow_get_400_on_every_post_route(app, world, clients):
    app.config["MAX_CONTENT_LENGTH"] = TOO_LARGE_LIMIT
    bodies = {**BAD_BODIES, "too large": json.dumps({"description": "я" * TOO_LARGE_LIMIT})}
    before = row_counts()
    urls = page_urls(app, world, method="POST")
    assert {"api.submit_appeal_api", "api.rate_api", "open311.create_request",
            "staff.api_answer", "staff.api_publish_text", "staff.login"} <= set(urls)  # fmt: skip
    for endpoint, url in sorted(urls.items()):
        for role, client in clients.items():
            for name, body in bodies.items():
                response = client.post(url, data=body, content_type="application/json")
                assert response.status_code == 400, (endpoint, role, name, response.status_code)
                if endpoint.startswith("open311."):
                    assert response.get_json()[0]["code"] == 400
                elif url.startswith(("/api/", "/staff/api/")):
                    assert list(response.get_json()["errors"]) == ["_schema"]
                else:
                    assert response.mimetype == "text/html"
    assert row_counts() == before


def test_each_body_problem_is_named_in_the_clients_language(app, make_app):
    client = make_app().test_client()  # its own app context per request: a fresh locale
    for name, expected in [
        ("nested arrays", "The JSON body is nested too deeply."),
        ("NaN", "NaN and Infinity are not numbers in JSON."),
        ("overflowing number", "This number is too large."),
        ("too many values", "The JSON body has too many values."),
        ("malformed", "The body is not valid JSON."),
    ]:
        for lang in ("en", "ru", "ky"):
            response = client.post(
                f"/api/v1/appeals?lang={lang}",
                data=BAD_BODIES[name],
                content_type="application/json",
            )
            [message] = response.get_json()["errors"]["_schema"]
            assert (message == expected) is (lang == "en"), (name, lang, message)


def test_a_json_submission_with_photos_is_not_mistaken_for_a_huge_body(client):
    photo = base64.b64encode(jpeg()).decode()
    body = {"city": "bishkek", "category": "pothole", "lat": 42.8746, "lon": 74.6122,
            "description": "Яма на дороге, машины объезжают по встречной полосе.",
            "consent": True, "photos": [photo, photo]}  # fmt: skip
    response = client.post("/api/v1/appeals", json=body)
    assert response.status_code == 201, response.get_json()


def test_service_performance_from_this_month_covers_it_and_a_future_start_is_refused(client):
    today = utcnow().astimezone(BISHKEK).date()
    this_month = today.replace(day=1).isoformat()
    response = client.get(f"/datasets/service_performance.csv?date_from={this_month}")
    assert response.status_code == 200
    tomorrow = (today + timedelta(days=1)).isoformat()
    refused = client.get(f"/datasets/service_performance.json?date_from={tomorrow}&lang=en")
    assert refused.status_code == 400
    assert refused.get_json() == {
        "errors": {"date_from": ["The window cannot start in the future."]}
    }
