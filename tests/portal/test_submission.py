"""Submitting an appeal through the web form and the JSON API."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from urllib.parse import urlsplit

import pytest
from flask import g
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessToken,
    Appeal,
    AppealPrivate,
    AppealStatus,
    Contact,
    EventKind,
    Photo,
    StatusEvent,
    TokenPurpose,
)
from portal.services.core import compute_due_at
from tests.portal.test_photos import jpeg_with_gps

#: Messages below are the English msgids.
pytestmark = pytest.mark.language("en")

TEXT = "Глубокая яма на проезжей части у остановки, машины объезжают по встречной полосе."
ALL_TABLES = (Appeal, AppealPrivate, Contact, Photo, AccessToken, StatusEvent)


def form(**overrides) -> dict:
    data = {
        "city": "bishkek",
        "category": "pothole",
        "description": TEXT,
        "lat": "42.8746",
        "lon": "74.6122",
        "address": "ул. Киевская, возле остановки",
        "name": "Айгуль Садыкова",
        "email": "Aigul@example.kg",
        "phone": "+996 555 123 456",
        "consent": "true",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in ALL_TABLES
    }


def field_errors(page: str, field: str) -> list[str]:
    block = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def token_from(location: str) -> str:
    return urlsplit(location).path.rsplit("/", 1)[1]


# --- Accepted ----------------------------------------------------------------------------


def test_accepted_appeal_is_stored_completely_and_waits_for_moderation(client, caplog):
    caplog.set_level("INFO")
    photo = (io.BytesIO(jpeg_with_gps()), "photo.jpg")
    response = client.post(
        "/appeals/new", data={**form(), "photos": [photo]}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    token = token_from(response.headers["Location"])

    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.status is AppealStatus.SUBMITTED
    assert re.fullmatch(r"BSK-\d{4}-000001", appeal.public_id)
    assert appeal.public_text is None and appeal.public_lat is None  # not public yet
    assert appeal.private.raw_text == TEXT
    assert (appeal.private.lat, appeal.private.lon) == (42.8746, 74.6122)
    assert appeal.private.address_text == "ул. Киевская, возле остановки"
    assert appeal.private.language == "en"
    assert appeal.category.code == "pothole" and appeal.service_id is not None
    assert appeal.district is not None and appeal.district.city_id == appeal.city_id
    assert appeal.due_at == compute_due_at(appeal.category, appeal.submitted_at)
    assert appeal.photo_count == 1
    contact = db.session.get(Contact, appeal.id)
    assert (contact.name, contact.email, contact.phone) == (
        "Айгуль Садыкова",
        "aigul@example.kg",
        "+996 555 123 456",
    )
    assert [e.kind for e in appeal.events] == [EventKind.SUBMITTED]
    stored = db.session.scalars(select(AccessToken)).one()
    assert stored.purpose is TokenPurpose.TRACK
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128

    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert appeal.public_id in receipt
    assert f"/t/{token}" in receipt
    assert "14 working days" in receipt
    assert client.get(f"/appeals/{appeal.public_id}").status_code == 404  # not public

    mails = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mail to")]
    assert len(mails) == 1
    assert "aigul@example.kg" in mails[0] and f"/t/{token}" in mails[0]
    assert appeal.public_id in mails[0]


def test_the_nearest_district_is_chosen(client):
    client.post("/appeals/new", data=form(lat="42.8800", lon="74.6600"))  # Sverdlovsky centre
    assert db.session.scalars(select(Appeal)).one().district.slug == "sverdlovsky"


def test_contact_is_optional_and_no_mail_is_sent_without_email(client, caplog):
    caplog.set_level("INFO")
    response = client.post("/appeals/new", data=form(name="", email="", phone=""))
    assert response.status_code == 302
    assert counts()["contacts"] == 0
    assert not [r for r in caplog.records if r.getMessage().startswith("mail to")]


def test_osh_appeal_gets_an_osh_public_id(client):
    client.post("/appeals/new", data=form(city="osh", lat="40.53", lon="72.80"))
    assert db.session.scalars(select(Appeal)).one().public_id.startswith("OSH-")


def test_form_shows_the_publication_warning_map_fallback_and_grouped_categories(client):
    page = client.get("/appeals/new").get_data(as_text=True)
    assert "This text will be published." in page
    assert "do not write names, phone numbers or flat numbers" in page
    assert 'name="lat"' in page and 'name="lon"' in page  # usable without the map
    assert "vendor/leaflet/leaflet.js" in page and "unpkg" not in page
    assert "<optgroup" in page and "Roads and pavements" in page
    assert 'name="website"' in page  # honeypot
    assert 'type="checkbox"' in page and 'name="consent"' in page


def page_in(client, url: str, lang: str) -> str:
    """GET ``url`` in ``lang`` (the test's app context caches the locale in ``g``: reset it)."""
    g.pop("_flask_babel", None)
    page = client.get(url, headers={"Accept-Language": lang}).get_data(as_text=True)
    g.pop("_flask_babel", None)
    return page


def test_category_names_follow_the_interface_language(app):
    client = app.test_client()
    ru = page_in(client, "/appeals/new", "ru")
    en = page_in(client, "/appeals/new", "en")
    ky = page_in(client, "/appeals/new", "ky")
    assert '<html lang="en"' in en and '<html lang="ky"' in ky
    assert "Бишкек" in ru and "Bishkek" in en
    from portal.models import Category

    pothole = db.session.scalars(select(Category).where(Category.code == "pothole")).first()
    assert pothole.name_ru in ru and pothole.name_en in en and pothole.name_ky in ky


# --- Rejected ----------------------------------------------------------------------------

BAD_FIELDS = [
    ("description", {"description": "Яма"}, "description", "Describe the problem in 10 to 5000"),
    ("description-long", {"description": "я" * 5001}, "description", "10 to 5000 characters"),
    ("description-blank", {"description": "          "}, "description", "10 to 5000"),
    ("no-city", {"city": ""}, "city", "Choose a city."),
    ("unknown-city", {"city": "almaty"}, "city", "Choose a city."),
    ("no-category", {"category": ""}, "category", "Choose a category."),
    ("unknown-category", {"category": "no_such_thing"}, "category", "Choose a category."),
    ("no-point", {"lat": "", "lon": ""}, "lat", "Choose the place on the map."),
    ("not-a-number", {"lat": "north"}, "lat", "Enter a number."),
    ("outside-city", {"lat": "40.53", "lon": "72.80"}, "lat", "outside Bishkek"),
    ("out-of-range", {"lat": "142.0"}, "lat", "between -90 and 90"),
    ("email", {"email": "not-an-address"}, "email", "Enter a valid e-mail address."),
    ("phone", {"phone": "call me maybe"}, "phone", "Enter a valid phone number."),
    ("name-too-long", {"name": "A" * 201}, "name", "At most 200 characters."),
    ("no-consent", {"consent": None}, "consent", "Please agree to the privacy notice."),
    ("consent-false", {"consent": "false"}, "consent", "Please agree to the privacy notice."),
    ("honeypot", {"website": "http://spam.example"}, "website", "must be left empty"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [case[1:] for case in BAD_FIELDS],
    ids=[case[0] for case in BAD_FIELDS],
)
def test_rejected_form_shows_field_errors_keeps_input_and_stores_nothing(
    client, overrides, field, message
):
    before = counts()
    response = client.post("/appeals/new", data=form(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any(message in text for text in field_errors(page, field)), field_errors(page, field)
    assert "Please correct the highlighted fields." in page
    if field != "description":
        assert "машины объезжают по встречной полосе" in page  # typed text kept
    assert "Айгуль Садыкова" in page or field == "name"
    assert counts() == before


def test_hostile_input_is_escaped_when_the_form_is_shown_again(client):
    response = client.post(
        "/appeals/new",
        data=form(description="<script>alert(1)</script>", address='"><b>x', consent=None),
    )
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '"><b>x' not in page


def test_a_failure_while_storing_leaves_nothing_behind(client, monkeypatch):
    """An accepted appeal is stored completely or not at all, photos included."""
    import portal.services.submission as submission

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(submission, "issue_token", broken)
    photo = (io.BytesIO(jpeg_with_gps()), "photo.jpg")
    with pytest.raises(RuntimeError):
        client.post(
            "/appeals/new", data={**form(), "photos": [photo]}, content_type="multipart/form-data"
        )
    db.session.rollback()
    assert set(counts().values()) == {0}


# --- Preview ------------------------------------------------------------------------------


def test_preview_shows_what_will_be_published_and_stores_nothing(client):
    text = "Звоните Айгуль по номеру +996 555 123 456, кв. 12, двор затопило."
    response = client.post(
        "/appeals/preview", data={"description": text}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    preview = response.json
    try:
        import opendata.anonymize  # noqa: F401
    except ImportError:
        assert preview == {"text": text, "scrubbed": False}
    else:
        assert preview["scrubbed"] is True
        assert "555 123 456" not in preview["text"]
    html = client.post("/appeals/preview", data=form(description=text)).get_data(as_text=True)
    assert "What will be published" in html
    assert "Айгуль Садыкова" in html  # the form keeps its values
    assert set(counts().values()) == {0}


# --- JSON API -------------------------------------------------------------------------------


def api_body(**overrides) -> dict:
    body = form(**overrides)
    body["consent"] = overrides.get("consent", True)
    body["lat"], body["lon"] = float(body["lat"]), float(body["lon"])
    return body


def test_api_accepts_the_same_fields_and_returns_the_tracking_link(client):
    photo = base64.b64encode(jpeg_with_gps()).decode()
    response = client.post("/api/v1/appeals", json={**api_body(), "photos": [photo]})
    assert response.status_code == 201, response.json
    body = response.json
    assert re.fullmatch(r"BSK-\d{4}-\d{6}", body["public_id"])
    assert body["status"] == "submitted"
    assert "/t/" in body["tracking_url"] and body["tracking_token"] in body["tracking_url"]
    assert client.get(urlsplit(body["tracking_url"]).path).status_code == 200
    assert counts()["photos"] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "short"}, "description"),
        ({"lat": 40.53, "lon": 72.80}, "lat"),
        ({"category": "nope"}, "category"),
        ({"consent": False}, "consent"),
        ({"email": "x@"}, "email"),
    ],
    ids=["description", "outside", "category", "consent", "email"],
)
def test_api_rejects_bad_fields_with_400_and_stores_nothing(client, overrides, field):
    body = api_body()
    body.update(overrides)
    response = client.post("/api/v1/appeals", json=body)
    assert response.status_code == 400
    assert set(response.json) == {"errors"}
    assert field in response.json["errors"]
    assert all(isinstance(m, str) for m in response.json["errors"][field])
    assert set(counts().values()) == {0}


@pytest.mark.parametrize(
    "photo",
    ["not base64 !!", base64.b64encode(b"GIF89a....").decode()],
    ids=["bad-base64", "gif"],
)
def test_api_rejects_bad_photos(client, photo):
    response = client.post("/api/v1/appeals", json={**api_body(), "photos": [photo]})
    assert response.status_code == 400
    assert "photos" in response.json["errors"]
    assert set(counts().values()) == {0}


def test_api_rejects_a_body_that_is_not_an_object(client):
    response = client.post("/api/v1/appeals", json=["city", "bishkek"])
    assert response.status_code == 400 and "_schema" in response.json["errors"]


def test_api_errors_are_translated(client):
    g.pop("_flask_babel", None)
    response = client.post(
        "/api/v1/appeals", json={**api_body(), "consent": False}, headers={"Accept-Language": "ru"}
    )
    assert response.json["errors"]["consent"] == [
        "Пожалуйста, подтвердите согласие с уведомлением о конфиденциальности."
    ]


def test_every_problem_is_reported_at_once(client):
    gif = (io.BytesIO(b"GIF89a\x01\x00\x01\x00"), "photo.jpg")
    response = client.post(
        "/appeals/new",
        data={**form(description="Яма", lat="40.53", lon="72.80"), "photos": [gif]},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_errors(page, "description")
    assert any("outside Bishkek" in m for m in field_errors(page, "lat"))
    assert any("Only JPEG, PNG and WebP" in m for m in field_errors(page, "photos"))
    assert set(counts().values()) == {0}


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x1f", "\x7f"])
def test_control_characters_in_any_text_field_are_refused_and_nothing_is_stored(client, character):
    body = api_body(name=f"Бак{character}ыт", description=f"Яма на дороге{character} возле школы")
    response = client.post("/api/v1/appeals", json=body)
    assert response.status_code == 400
    message = "Remove invisible control characters from the text."
    assert response.json["errors"]["name"] == [message]
    assert response.json["errors"]["description"] == [message]
    assert db.session.scalar(select(func.count(Appeal.id))) == 0
    # The same rule in Russian on the form (the default language).
    russian = client.post("/api/v1/appeals?lang=ru", json=body)
    assert "Уберите из текста невидимые управляющие символы." in russian.json["errors"]["name"]
