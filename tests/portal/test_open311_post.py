"""Open311 POST requests and tokens: api_key, the web form's use case, nothing half-written."""

from __future__ import annotations

import io

import pytest
from flask_babel import refresh
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AccessToken, Appeal, AppealStatus, Contact, Photo, StatusEvent
from portal.open311.views import make_token
from portal.services.moderation import publish_appeal
from portal.services.submission import submit_appeal
from tests.portal.test_open311_schemas import BASE, assert_error, xml_root

KEY = "test-open311-key-0123456789"
VALID = {
    "api_key": KEY,
    "service_code": "pothole",
    "lat": "42.8746",
    "long": "74.6122",
    "description": "Глубокая яма на проезжей части у остановки, опасно для машин.",
    "first_name": "Айгуль",
    "last_name": "Тестова",
    "email": "Aigul.Testova@example.kg",
    "phone": "+996 555 000 111",
    "address_string": "пр. Чуй, 100, кв. 5",
    "media_url": "http://example.com/photo.jpg",
    "attribute[depth]": "deep",
}


@pytest.fixture
def keyed_app(app):
    """The test app with two Open311 API keys configured."""
    app.config["OPEN311_API_KEYS"] = (KEY, "second-key-abcdefghij")
    return app


@pytest.fixture
def keyed_client(keyed_app):
    return keyed_app.test_client()


def counts() -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Appeal, Contact, StatusEvent, AccessToken)
    )


def test_post_creates_an_appeal_through_the_web_form_use_case(keyed_client):
    response = keyed_client.post(f"{BASE}/requests.json", data=VALID)
    assert response.status_code == 201, response.data
    [body] = response.get_json()
    assert set(body) == {"token", "service_request_id", "service_notice", "account_id"}
    assert body["account_id"] is None
    assert body["service_request_id"] is None  # waits for moderation
    assert isinstance(body["token"], str) and body["service_notice"]

    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.status is AppealStatus.SUBMITTED
    assert appeal.category.code == "pothole" and appeal.city.slug == "bishkek"
    assert appeal.private.raw_text == VALID["description"]
    assert (appeal.private.lat, appeal.private.lon) == (42.8746, 74.6122)
    assert appeal.private.address_text == VALID["address_string"]
    contact = db.session.get(Contact, appeal.id)
    assert contact.name == "Айгуль Тестова"
    assert contact.email == "aigul.testova@example.kg"
    assert contact.phone == VALID["phone"]
    assert body["token"] == make_token(appeal.public_id)
    # The citizen's tracking token is private: the Open311 token is a different thing.
    assert appeal.public_id in body["token"]


def test_post_accepts_json_and_other_jurisdictions(keyed_client):
    data = {**VALID, "lat": 40.53, "long": 72.80, "jurisdiction_id": "osh"}
    response = keyed_client.post(f"{BASE}/requests.json", json=data)
    assert response.status_code == 201, response.data
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.city.slug == "osh" and appeal.public_id.startswith("OSH-")


def test_post_xml_answers_in_xml(keyed_client):
    response = keyed_client.post(f"{BASE}/requests.xml", data=VALID)
    assert response.status_code == 201
    root = xml_root(response)
    assert root.tag == "service_requests"
    assert root.find("request").findtext("token")
    assert root.find("request").find("service_request_id").text is None


def test_api_key_may_come_in_the_query_string(keyed_client):
    data = {k: v for k, v in VALID.items() if k != "api_key"}
    response = keyed_client.post(f"{BASE}/requests.json?api_key={KEY}", data=data)
    assert response.status_code == 201


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("key", [None, "", "wrong", KEY[:-1], KEY + "x", KEY.upper()])
def test_wrong_api_key_is_403_and_changes_nothing(keyed_client, key, fmt):
    data = {k: v for k, v in VALID.items() if k != "api_key"}
    if key is not None:
        data["api_key"] = key
    before = counts()
    assert_error(keyed_client.post(f"{BASE}/requests.{fmt}", data=data), 403, fmt)
    assert counts() == before == (0, 0, 0, 0)


def test_post_is_refused_when_no_key_is_configured(client):
    assert client.application.config["OPEN311_API_KEYS"] == ()
    assert_error(client.post(f"{BASE}/requests.json", data=VALID), 403)
    assert_error(client.post(f"{BASE}/requests.json", data={**VALID, "api_key": ""}), 403)
    assert counts() == (0, 0, 0, 0)


MALFORMED = [
    ({"service_code": None}, "service_code"),
    ({"service_code": "no_such_category"}, "service_code"),
    ({"service_code": "Bad Code!"}, "service_code"),
    ({"lat": None, "long": None}, "lat"),
    ({"lat": "north"}, "lat"),
    ({"long": "999"}, "long"),
    ({"lat": "nan"}, "lat"),
    ({"lat": "51.5", "long": "-0.12"}, "lat"),  # London is outside Bishkek
    ({"description": None}, "description"),
    ({"description": "short"}, "description"),
    ({"description": "x" * 6000}, "description"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"jurisdiction_id": "tokyo"}, "jurisdiction_id"),
    ({"first_name": "x" * 300}, "first_name"),
    ({"description": "Глубокая яма\x00 на дороге у остановки"}, "description"),  # NUL
    ({"last_name": "Nul\x00"}, "last_name"),
]


@pytest.mark.parametrize(
    ("change", "field"), MALFORMED, ids=[m[1] + str(i) for i, m in enumerate(MALFORMED)]
)
def test_malformed_post_is_400_and_changes_nothing(keyed_client, change, field):
    data = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    for fmt in ("json", "xml"):
        descriptions = assert_error(
            keyed_client.post(f"{BASE}/requests.{fmt}", data=data), 400, fmt
        )
        assert any(d.startswith(f"{field}:") for d in descriptions), descriptions
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", '"a string"', "null", '{"api_key": ["a", "b"]}'],
)
def test_malformed_json_body_is_400_and_changes_nothing(keyed_client, body):
    response = keyed_client.post(
        f"{BASE}/requests.json?api_key={KEY}", data=body, content_type="application/json"
    )
    assert_error(response, 400)
    assert counts() == (0, 0, 0, 0)


def test_post_works_with_csrf_protection_on(keyed_app, keyed_client):
    keyed_app.config["WTF_CSRF_ENABLED"] = True
    response = keyed_client.post(f"{BASE}/requests.json", data=VALID)
    assert response.status_code == 201, response.data


def test_token_resolves_once_the_appeal_is_published(keyed_client, make_staff):
    [body] = keyed_client.post(f"{BASE}/requests.json", data=VALID).get_json()
    token = body["token"]
    refresh()
    response = keyed_client.get(f"{BASE}/tokens/{token}.json")
    assert response.status_code == 200
    assert response.get_json() == [{"service_request_id": None, "token": token}]
    appeal = db.session.scalars(select(Appeal)).one()
    assert_error(keyed_client.get(f"{BASE}/requests/{appeal.public_id}.json"), 404)

    publish_appeal(appeal.id, make_staff(role="moderator"))
    response = keyed_client.get(f"{BASE}/tokens/{token}.json")
    assert response.get_json() == [{"service_request_id": appeal.public_id, "token": token}]
    root = xml_root(keyed_client.get(f"{BASE}/tokens/{token}.xml"))
    assert root.tag == "service_requests"
    assert root.find("request").findtext("service_request_id") == appeal.public_id
    [item] = keyed_client.get(f"{BASE}/requests/{appeal.public_id}.json").get_json()
    assert item["status"] == "open"
    # Never the citizen's contact or exact address.
    text = keyed_client.get(f"{BASE}/requests/{appeal.public_id}.json?extensions=true").get_data(
        as_text=True
    )
    for private in ("Айгуль", "Тестова", "aigul", "000 111", "кв. 5", "Чуй, 100"):
        assert private not in text


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_forged_token_is_404(keyed_client, make_appeal, fmt):
    appeal = make_appeal()
    forged = f"{appeal.public_id}.AAAAAAAAAAAAAAAAAAAAAAAAAAA"
    for token in (appeal.public_id, forged, "x" * 300, "nonsense"):
        assert_error(keyed_client.get(f"{BASE}/tokens/{token}.{fmt}"), 404, fmt)


def test_tracking_token_is_not_an_open311_token(keyed_client):
    result = submit_appeal(
        {
            "city": "bishkek",
            "category": "pothole",
            "description": VALID["description"],
            "lat": 42.87,
            "lon": 74.61,
            "consent": True,
        }
    )
    assert_error(keyed_client.get(f"{BASE}/tokens/{result.tracking_token}.json"), 404)


def test_tokens_differ_with_the_secret_key(make_app, keyed_app):
    token = make_token("BSK-2026-000001")
    other = make_app(SECRET_KEY="another-secret-key-for-tests-only")
    with other.app_context():
        assert make_token("BSK-2026-000001") != token


# --- An image in the multipart part ``media`` ---------------------------------------------------


def phone_jpeg() -> bytes:
    """A phone photo: its GPS position and owner's name must not survive."""
    exif = Image.Exif()
    exif[0x013B] = "Aigul Testova"  # Artist
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 30.0), 3: "E", 4: (74.0, 36.0, 10.0)}
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 90, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def multipart(media: bytes, name: str = "yama.jpg", mimetype: str = "image/jpeg") -> dict:
    return {**VALID, "media": (io.BytesIO(media), name, mimetype)}


def test_a_media_part_is_stored_like_a_web_form_photo_and_becomes_media_url(
    keyed_client, make_staff
):
    response = keyed_client.post(f"{BASE}/requests.json", data=multipart(phone_jpeg()),
                                 content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 201, response.data
    appeal = db.session.scalars(select(Appeal)).one()
    [photo] = db.session.scalars(select(Photo)).all()
    assert (photo.appeal_id, appeal.photo_count) == (appeal.id, 1)
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG" and not stored.getexif() and b"Testova" not in photo.data
    assert keyed_client.get(f"/photos/{photo.public_id}").status_code == 404  # not yet public

    publish_appeal(appeal.id, make_staff(role="moderator"))
    [item] = keyed_client.get(f"{BASE}/requests/{appeal.public_id}.json").get_json()
    assert item["media_url"] == f"http://portal.test/photos/{photo.public_id}"
    listed = keyed_client.get(f"{BASE}/requests.json").get_json()
    assert [r["media_url"] for r in listed] == [item["media_url"]]
    served = keyed_client.get(f"/photos/{photo.public_id}")
    assert served.status_code == 200 and served.data == photo.data


@pytest.mark.parametrize(
    ("media", "problem"),
    [
        (b"GIF89a not really a photo at all", "Only JPEG, PNG and WebP photos are accepted."),
        (b"\xff\xd8\xff" + b"\0" * 300_000, "larger than"),
    ],  # fmt: skip
    ids=["fake", "oversized"],
)
def test_a_refused_media_is_a_translated_400_and_changes_nothing(
    keyed_app, keyed_client, media, problem
):
    keyed_app.config["MAX_PHOTO_BYTES"] = 256 * 1024
    if problem == "larger than":  # the size is checked before the content is looked at
        keyed_app.config["MAX_PHOTO_BYTES"] = 200 * 1024
    descriptions = assert_error(
        keyed_client.post(f"{BASE}/requests.json?lang=en", data=multipart(media)), 400
    )
    assert any(d.startswith("media:") and problem in d for d in descriptions), descriptions
    ru = assert_error(keyed_client.post(f"{BASE}/requests.json?lang=ru", data=multipart(media)),
                      400)  # fmt: skip
    assert any(d.startswith("media:") and problem not in d for d in ru), ru
    assert counts() == (0, 0, 0, 0) and db.session.scalar(select(func.count(Photo.id))) == 0


def test_only_one_media_part_is_accepted(keyed_client):
    data = {**VALID, "media": [(io.BytesIO(phone_jpeg()), "a.jpg", "image/jpeg"),
                               (io.BytesIO(phone_jpeg()), "b.jpg", "image/jpeg")]}  # fmt: skip
    descriptions = assert_error(keyed_client.post(f"{BASE}/requests.json?lang=en", data=data), 400)
    assert any(d.startswith("media:") for d in descriptions), descriptions
    assert counts() == (0, 0, 0, 0)
