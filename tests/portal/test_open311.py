"""Open311 GeoReport v2, read side: JSON and XML, the official schemas, bad input."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Appeal,
    AppealStatus,
    Photo,
    Rating,
    Resolution,
    Solved,
    StatusEvent,
    utcnow,
)
from portal.services.publication import fixture_writes
from tests.portal.test_open311_schemas import BASE, assert_error, assert_valid, xml_root

#: Private data planted in appeals: none of it may appear in any Open311 output.
SENTINELS = {
    "raw": "Мой сосед Айбек Жумабаев, тел. +996 555 123 456, кв. 17",
    "name": "Гульнара Сентинелова",
    "email": "sentinel.person@example.kg",
    "phone": "+996700987654",
    "address": "ул. Секретная, дом 99, кв. 42",
}
EXACT = {"lat": 42.874612, "lon": 74.612234}


@pytest.fixture
def private_appeal(make_appeal):
    """A published appeal whose raw text, exact point and contact are private."""
    appeal = make_appeal(
        text=SENTINELS["raw"],
        public_text="Мой сосед [ИМЯ], тел. [ТЕЛЕФОН], [КВАРТИРА]",
        contact={
            "name": SENTINELS["name"],
            "email": SENTINELS["email"],
            "phone": SENTINELS["phone"],
        },
        **EXACT,
    )
    appeal.private.address_text = SENTINELS["address"]
    db.session.commit()
    return appeal


def seconds(moment: datetime) -> datetime:
    """Open311 datetimes are given to the second."""
    return moment.replace(microsecond=0)


def _json(client, path: str, **params):
    refresh()  # the test app context outlives requests: forget the cached locale
    response = client.get(f"{BASE}/{path}", query_string=params)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/json"
    return response.get_json()


def _xml(client, path: str, **params):
    refresh()
    response = client.get(f"{BASE}/{path}", query_string=params)
    assert response.status_code == 200, response.data
    return xml_root(response)


# --- discovery and services --------------------------------------------------------


def test_discovery_json_and_xml(client):
    body = _json(client, "discovery.json")
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(body)
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    datetime.fromisoformat(body["changeset"])

    root = _xml(client, "discovery.xml")
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("url").endswith("/open311/v2")
    assert [f.text for f in endpoint.findall("formats/format")] == endpoint_formats(body)


def endpoint_formats(body) -> list[str]:
    return body["endpoints"][0]["formats"]


@pytest.mark.parametrize("jurisdiction", [None, "bishkek", "osh"])
def test_services_validate_against_the_official_schema(client, jurisdiction):
    params = {"jurisdiction_id": jurisdiction} if jurisdiction else {}
    services = _json(client, "services.json", **params)
    assert len(services) == 30
    assert_valid(services, "services.json")
    codes = [s["service_code"] for s in services]
    assert "pothole" in codes and len(set(codes)) == len(codes)
    assert all(s["type"] == "batch" and s["metadata"] is False for s in services)

    root = _xml(client, "services.xml", **params)
    assert root.tag == "services"
    items = root.findall("service")
    assert [s.findtext("service_code") for s in items] == codes
    assert items[0].findtext("metadata") == "false"


def test_services_are_named_in_the_requested_language(client):
    ru = {s["service_code"]: s for s in _json(client, "services.json", lang="ru")}
    en = {s["service_code"]: s for s in _json(client, "services.json", lang="en")}
    assert ru["pothole"]["service_name"] == "Яма на дороге"
    assert en["pothole"]["service_name"] == "Pothole"


def test_agency_differs_by_city(client):
    bishkek = _json(client, "services.json", jurisdiction_id="bishkek", lang="en")
    osh = _json(client, "services.json", jurisdiction_id="osh", lang="en")
    assert bishkek[0]["service_code"] == osh[0]["service_code"]
    assert bishkek[0]["description"] != osh[0]["description"]


def test_service_definition_json_and_xml(client):
    definition = _json(client, "services/pothole.json")
    assert definition == {"service_code": "pothole", "attributes": []}
    assert_valid(definition, "service-definition.json")
    root = _xml(client, "services/pothole.xml", jurisdiction_id="osh")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "pothole"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_or_jurisdiction_is_404(client, fmt):
    assert_error(client.get(f"{BASE}/services/no_such_thing.{fmt}"), 404, fmt)
    assert_error(client.get(f"{BASE}/services.{fmt}?jurisdiction_id=tokyo"), 404, fmt)
    assert_error(client.get(f"{BASE}/requests.{fmt}?jurisdiction_id=tokyo"), 404, fmt)
    assert_error(client.get(f"{BASE}/services/pothole.{fmt}?jurisdiction_id=tokyo"), 404, fmt)
    assert_error(client.get(f"{BASE}/requests/BSK-2026-999999.{fmt}"), 404, fmt)
    assert_error(client.get(f"{BASE}/requests.{fmt}?service_code=no_such_service"), 404, fmt)
    assert_error(client.get(f"{BASE}/requests.{fmt}?service_code=pothole,nope"), 404, fmt)
    assert_error(client.get(f"{BASE}/services.{fmt}?jurisdiction_id=Not%20a%20slug"), 400, fmt)


def test_unknown_url_under_open311_is_an_open311_error(client):
    assert_error(client.get(f"{BASE}/nothing.json"), 404)
    assert_error(client.get(f"{BASE}/requests.csv"), 404)
    assert_error(client.delete(f"{BASE}/requests.json"), 405)


# --- requests ----------------------------------------------------------------------


def test_requests_validate_against_the_official_schema(client, private_appeal, make_answer):
    make_answer(private_appeal, text="Яма заделана.")
    items = _json(client, "requests.json")
    assert len(items) == 1
    assert_valid(items, "requests.json")
    item = items[0]
    assert item["service_request_id"] == private_appeal.public_id
    assert item["service_code"] == "pothole"
    assert item["status"] == "open"
    assert item["status_notes"] == "Яма заделана."
    assert item["agency_responsible"] == "МП «Бишкекасфальтсервис»"
    for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert datetime.fromisoformat(item[key]).utcoffset() == timedelta(hours=6)
    assert datetime.fromisoformat(item["requested_datetime"]) == seconds(
        private_appeal.submitted_at
    )
    assert datetime.fromisoformat(item["expected_datetime"]) == seconds(private_appeal.due_at)


def test_requests_publish_only_public_fields(client, private_appeal, make_appeal):
    make_appeal(city="osh", lat=40.53, lon=72.80)
    outputs = []
    for path in (
        "requests.json?extensions=true",
        "requests.xml?extensions=true",
        f"requests/{private_appeal.public_id}.json?extensions=true",
        f"requests/{private_appeal.public_id}.xml?extensions=true",
        "requests.json?jurisdiction_id=osh&extensions=true",
    ):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 200
        outputs.append(response.get_data(as_text=True))
    text = "\n".join(outputs)
    for value in (*SENTINELS.values(), "Айбек", "123 456", "Секретная"):
        assert value not in text
    item = _json(client, f"requests/{private_appeal.public_id}.json")[0]
    assert item["description"] == private_appeal.public_text
    assert (item["lat"], item["long"]) == (private_appeal.public_lat, private_appeal.public_lon)
    assert (item["lat"], item["long"]) != (EXACT["lat"], EXACT["lon"])
    assert item["address"] == "Ленинский район, Бишкек"


def test_unpublished_appeals_are_invisible(client, make_appeal):
    hidden = [
        make_appeal(status=AppealStatus.SUBMITTED),
        make_appeal(status=AppealStatus.REJECTED),
        make_appeal(status=AppealStatus.WITHDRAWN),
    ]
    assert _json(client, "requests.json") == []
    ids = ",".join(a.public_id for a in hidden)
    assert _json(client, "requests.json", service_request_id=ids) == []
    for appeal in hidden:
        assert_error(client.get(f"{BASE}/requests/{appeal.public_id}.json"), 404)


def test_sensitive_categories_have_no_point(client, make_appeal):
    appeal = make_appeal(category="social_help")
    item = _json(client, f"requests/{appeal.public_id}.json")[0]
    assert item["lat"] is None and item["long"] is None
    assert_valid([item], "requests.json")


def test_status_mapping_and_filter(client, make_appeal, make_answer):
    new = make_appeal()
    answered = make_appeal(category="garbage")
    make_answer(answered, text="Мусор вывезен.")
    closed = make_appeal(category="street_light")
    closed.status, closed.resolution, closed.closed_at = (
        AppealStatus.CLOSED,
        Resolution.SOLVED,
        utcnow(),
    )
    db.session.commit()
    by_id = {i["service_request_id"]: i for i in _json(client, "requests.json")}
    assert by_id[new.public_id]["status"] == "open"
    assert by_id[new.public_id]["status_notes"]
    assert by_id[answered.public_id]["status"] == "open"
    assert by_id[answered.public_id]["status_notes"] == "Мусор вывезен."
    assert by_id[closed.public_id]["status"] == "closed"
    assert datetime.fromisoformat(by_id[closed.public_id]["updated_datetime"]) == seconds(
        closed.closed_at
    )
    assert [i["service_request_id"] for i in _json(client, "requests.json", status="closed")] == [
        closed.public_id
    ]
    assert {i["service_request_id"] for i in _json(client, "requests.json", status="open")} == {
        new.public_id,
        answered.public_id,
    }
    assert len(_json(client, "requests.json", status="open,closed")) == 3


def test_filters_service_code_dates_and_ids(client, make_appeal):
    now = utcnow()
    old = make_appeal(submitted_at=now - timedelta(days=40))
    recent = make_appeal(category="garbage", submitted_at=now - timedelta(days=2))
    osh = make_appeal(city="osh", lat=40.53, lon=72.80)

    def ids(**params):
        return [i["service_request_id"] for i in _json(client, "requests.json", **params)]

    assert ids() == [recent.public_id, old.public_id]  # newest first, Bishkek by default
    assert ids(jurisdiction_id="osh") == [osh.public_id]
    assert ids(service_code="garbage") == [recent.public_id]
    assert ids(service_code="garbage,pothole") == [recent.public_id, old.public_id]
    since = (now - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=since) == [recent.public_id]
    assert ids(end_date=since) == [old.public_id]
    # A list of ids overrides every other argument, in every city.
    both = f"{old.public_id},{osh.public_id}"
    assert set(ids(service_request_id=both, service_code="garbage")) == {
        old.public_id,
        osh.public_id,
    }


def test_default_window_is_the_last_90_days(client, make_appeal):
    ancient = make_appeal(submitted_at=utcnow() - timedelta(days=120))
    assert _json(client, "requests.json") == []
    start = (utcnow() - timedelta(days=130)).isoformat(timespec="seconds")
    found = _json(client, "requests.json", start_date=start)
    assert [i["service_request_id"] for i in found] == [ancient.public_id]
    assert _json(client, f"requests/{ancient.public_id}.json")[0]["service_request_id"]


def test_updated_after_and_before(client, make_appeal):
    first, second = make_appeal(), make_appeal()
    first.updated_at = utcnow() - timedelta(days=5)
    second.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    cut = (utcnow() - timedelta(days=1)).isoformat(timespec="seconds")
    assert [i["service_request_id"] for i in _json(client, "requests.json", updated_after=cut)] == [
        second.public_id
    ]
    assert [
        i["service_request_id"] for i in _json(client, "requests.json", updated_before=cut)
    ] == [first.public_id]


def test_paging(client, app, make_appeal):
    made = [make_appeal(submitted_at=utcnow() - timedelta(hours=h)) for h in range(1, 6)]
    newest_first = [a.public_id for a in made]
    page = lambda n: [  # noqa: E731
        i["service_request_id"] for i in _json(client, "requests.json", page=n, page_size=2)
    ]
    assert page(1) == newest_first[:2]
    assert page(2) == newest_first[2:4]
    assert page(3) == newest_first[4:]
    assert page(4) == []
    app.config["PAGE_SIZE"] = 3
    assert len(_json(client, "requests.json")) == 3


def test_extensions_carry_timeline_answers_and_ratings(client, make_appeal, make_answer):
    appeal = make_appeal()
    answer = make_answer(appeal, text="Отремонтировано.")
    with fixture_writes():
        rating = Rating(
            appeal_id=appeal.id,
            answer_id=answer.id,
            service_id=appeal.service_id,
            score=4,
            solved=Solved.PARTLY,
            public_comment="Спасибо, но не до конца.",
            private_comment="Спасибо, Айбек, но не до конца.",
        )
    db.session.add(rating)
    db.session.commit()
    plain = _json(client, f"requests/{appeal.public_id}.json")[0]
    assert "notes" not in plain and "extended_attributes" not in plain
    item = _json(client, f"requests/{appeal.public_id}.json", extensions="true")[0]
    assert_valid([item], "requests.json")
    assert [n["type"] for n in item["notes"]] == ["submitted", "published", "answered"]
    assert all(datetime.fromisoformat(n["datetime"]).utcoffset() for n in item["notes"])
    extended = item["extended_attributes"]
    assert extended["portal_status"] == "answered"
    assert extended["location_precision_m"] == 100
    [published_answer] = extended["answers"]
    assert published_answer["answer_id"] == str(answer.id)
    assert published_answer["text"] == "Отремонтировано."
    assert published_answer["rating"] == {
        "score": 4,
        "solved": "partly",
        "reason": None,
        "comment": "Спасибо, но не до конца.",
    }
    root = _xml(client, f"requests/{appeal.public_id}.xml", extensions="true")
    request = root.find("request")
    assert [n.findtext("type") for n in request.findall("notes/note")] == [
        "submitted",
        "published",
        "answered",
    ]
    assert request.findtext("extended_attributes/answers/answer/rating/score") == "4"
    assert "Айбек" not in xml_text(root)
    listed = _json(client, "requests.json", extensions="true")[0]
    assert listed["extended_attributes"]["answers"][0]["rating"]["score"] == 4


def xml_text(root) -> str:
    return "".join(root.itertext())


def test_requests_xml_matches_json(client, make_appeal, make_answer):
    make_answer(make_appeal(), text="Готово.")
    make_appeal(category="social_help")
    items = _json(client, "requests.json")
    root = _xml(client, "requests.xml")
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == len(items) == 2
    for element, item in zip(requests, items, strict=True):
        for key, value in item.items():
            child = element.find(key)
            assert child is not None, key
            if value is None:
                assert child.text is None, key
            elif isinstance(value, float):
                assert float(child.text) == value
            else:
                assert child.text == str(value), key


def test_media_url_is_the_public_photo(client, make_appeal):
    appeal = make_appeal()
    with fixture_writes():
        photo = Photo(
            public_id="photo0123456789abcdef",
            appeal_id=appeal.id,
            content_type="image/jpeg",
            width=1,
            height=1,
            data=b"jpeg",
        )
    db.session.add(photo)
    appeal.photo_count = 1
    db.session.commit()
    item = _json(client, f"requests/{appeal.public_id}.json")[0]
    assert item["media_url"] == "http://portal.test/photos/photo0123456789abcdef"


def test_wrong_jurisdiction_for_an_id_is_404(client, make_appeal):
    appeal = make_appeal()
    assert _json(client, f"requests/{appeal.public_id}.json", jurisdiction_id="bishkek")
    assert_error(client.get(f"{BASE}/requests/{appeal.public_id}.json?jurisdiction_id=osh"), 404)


# --- bad input -----------------------------------------------------------------------

BAD_QUERIES = [
    {"start_date": "yesterday"},
    {"start_date": "2026-13-01T00:00:00Z"},
    {"end_date": "2026-02-30T00:00:00Z"},
    {"end_date": "2026-02-01"},  # a date-time is needed
    {"end_date": "2026-02-01T00:00:00"},  # with its offset
    {"start_date": "2026-01-01T23:59:60Z"},
    {"start_date": "2026-01-01 00:00:00Z"},
    {"start_date": "2026-01-01T00:00:00+24:00"},
    {"start_date": ""},
    {"updated_after": "not a date"},
    {"status": "answered"},
    {"status": "open,closed,open,maybe"},
    {"page_size": "0"},
    {"page_size": "100000"},
    {"page_size": "ten"},
    {"page_size": " 5"},
    {"page_size": "٥"},
    {"page_size": "1.5"},
    {"page": "0"},
    {"page": "-3"},
    {"page": "1.5"},
    {"service_code": "BAD CODE"},
    {"service_request_id": "not-an-id"},
    {"service_request_id": ",".join(f"BSK-2026-{n:06d}" for n in range(101))},
    {"extensions": "perhaps"},
    {"extensions": "1"},
    {"service_code": "pothole,,garbage"},
    {"service_code": "pothole, garbage"},
    {"service_code": ""},
    {"jurisdiction_id": ""},
    {"jurisdiction_id": "../etc"},
]


@pytest.mark.parametrize(
    "params", BAD_QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items())[:60]
)
def test_bad_query_is_400_and_changes_nothing(client, make_appeal, params):
    make_appeal()
    before = db.session.scalar(select(func.count()).select_from(StatusEvent))
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", query_string=params)
        descriptions = assert_error(response, 400, fmt)
        assert any(key in " ".join(descriptions) for key in params)
    assert db.session.scalar(select(func.count()).select_from(StatusEvent)) == before
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1


def test_inverted_ranges_match_nothing(client, make_appeal):
    make_appeal()
    assert _json(client, "requests.json") != []
    later, earlier = "2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z"
    assert _json(client, "requests.json", start_date=later, end_date=earlier) == []
    assert _json(client, "requests.json", updated_after=later, updated_before=earlier) == []


def test_dates_outside_the_sane_range_are_refused(client, make_appeal):
    make_appeal()
    for name, value in (("start_date", "0001-01-01T00:00:00+23:59"),
                        ("end_date", "9999-12-31T23:59:59-23:59"),
                        ("start_date", "1999-12-31T23:59:59Z")):  # fmt: skip
        [error] = assert_error(client.get(f"{BASE}/requests.json?{name}={value}"), 400)
        assert error.startswith(f"{name}:") and "2000" in error
    # The edges of the range are local dates: 2000-01-01 east of Greenwich is still 1999 in UTC.
    assert _json(client, "requests.json", start_date="2000-01-01T00:00:00+06:00") is not None


def test_error_messages_are_translated(client):
    found = {}
    for lang in ("ru", "en", "ky"):
        refresh()
        url = f"{BASE}/requests.json?page_size=ten&lang={lang}"
        [found[lang]] = assert_error(client.get(url), 400)
    ru, en, ky = found["ru"], found["en"], found["ky"]
    assert en == "page_size: page_size must be a whole number."
    assert ru != en and ky != en and ru != ky


def test_datetimes_with_offsets_are_compared_as_instants(client, make_appeal):
    appeal = make_appeal(submitted_at=datetime.fromisoformat("2026-11-01T05:00:00+00:00"))
    ids = lambda **p: [i["service_request_id"] for i in _json(client, "requests.json", **p)]  # noqa: E731
    # 05:00 UTC is 11:00 in Bishkek.
    assert ids(start_date="2026-11-01T10:59:00+06:00", end_date="2026-11-01T11:01:00+06:00") == [
        appeal.public_id
    ]
    assert ids(start_date="2026-11-01T11:01:00+06:00", end_date="2026-11-02T00:00:00Z") == []


def test_xml_always_parses(client, make_appeal):
    appeal = make_appeal(public_text="Яма \x1b\x0b<b>&amp; «кавычки»\x7f")
    root = _xml(client, f"requests/{appeal.public_id}.xml")
    assert root.find("request").findtext("description") == "Яма <b>&amp; «кавычки»\x7f"
    response = client.get(f"{BASE}/tokens/\x01bad&<token>.xml")
    assert_error(response, 404, "xml")
