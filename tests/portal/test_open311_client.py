"""The ``georeport`` client from PyPI talking to the portal served on 127.0.0.1.

The client calls ``requests.get`` directly, so the app is served by werkzeug in a thread
(like tests/browser's live_server) rather than mounted on a session adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from georeport import GeoReport
from werkzeug.serving import make_server

from tests.portal.test_open311_schemas import assert_valid


@pytest.fixture
def live_url(app) -> Iterator[str]:
    app.config.update(SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def appeals(make_appeal, make_answer):
    first = make_appeal()
    make_answer(first, text="Яма заделана.")
    second = make_appeal(category="garbage")
    osh = make_appeal(city="osh", lat=40.53, lon=72.80)
    return first, second, osh


def test_georeport_json(live_url, appeals):
    first, second, osh = appeals
    client = GeoReport(live_url)
    services = client.get_service_list()
    assert_valid(services, "services.json")
    assert "pothole" in {s["service_code"] for s in services}
    assert client.get_service_definition("pothole") == {
        "service_code": "pothole",
        "attributes": [],
    }
    requests = client.get_service_requests()
    assert_valid(requests, "requests.json")
    assert {r["service_request_id"] for r in requests} == {first.public_id, second.public_id}
    assert [r["service_request_id"] for r in client.get_service_requests(status="open")] == [
        r["service_request_id"] for r in requests
    ]
    only = client.get_service_requests(service_code="garbage")
    assert [r["service_request_id"] for r in only] == [second.public_id]
    one = client.get_service_request(first.public_id)
    assert one["service_request_id"] == first.public_id
    assert one["status_notes"] == "Яма заделана."


def test_georeport_with_a_jurisdiction(live_url, appeals):
    *_, osh = appeals
    client = GeoReport(live_url, jurisdiction="osh")
    assert client.get_service_list()
    assert [r["service_request_id"] for r in client.get_service_requests()] == [osh.public_id]
    assert client.get_service_request(osh.public_id)["service_code"] == "pothole"


def test_georeport_xml(live_url, appeals):
    first, second, _ = appeals
    client = GeoReport(live_url, output_format="xml")
    services = client.get_service_list()
    assert "pothole" in {s["service_code"] for s in services}
    assert client.get_service_definition("pothole")["service_code"] == "pothole"
    requests = client.get_service_requests()
    assert {r["service_request_id"] for r in requests} == {first.public_id, second.public_id}
    one = client.get_service_request(second.public_id)
    assert one["service_request_id"] == second.public_id
    assert one["status"] == "open"


def test_georeport_sees_errors_as_http_errors(live_url):
    import requests

    client = GeoReport(live_url)
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_definition("no_such_service")
    assert raised.value.response.status_code == 404
    assert raised.value.response.json()[0]["code"] == 404
    with pytest.raises(requests.HTTPError):
        client.get_service_requests(start_date="not-a-date")
