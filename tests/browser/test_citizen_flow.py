"""A citizen on a phone: fills the form, clicks the map, attaches a photo, previews, sends,
opens the tracking link, and after the service answers, rates the answer and reopens."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appeal, AppealStatus, EventKind, Photo
from tests.portal.test_photos import jpeg_with_gps

pytestmark = pytest.mark.browser

PHONE = (390, 844)
TEXT = "Во дворе третий день не горят фонари, вечером очень темно и опасно ходить."


#: How each language is chosen (browser locale = Accept-Language, or the switcher's ?lang=,
#: remembered for the following pages) and texts the citizen must see in it.
LANGUAGES = {
    "ru": {
        "locale": "ru-RU",
        "query": "",
        "warning": "Этот текст будет опубликован.",
        "days": "рабочих дней",
        "thanks": "Спасибо за оценку.",
        "reopened": "новым сроком",
    },
    "ky": {
        "locale": "ru-RU",
        "query": "?lang=ky",
        "warning": "Бул текст жарыяланат.",
        "days": "жумуш күнү",
        "thanks": "Бааңыз үчүн рахмат.",
        "reopened": "жаңы мөөнөт",
    },
    "en": {
        "locale": "en-US",
        "query": "",
        "warning": "This text will be published.",
        "days": "working days",
        "thanks": "Thank you for your rating.",
        "reopened": "new deadline",
    },
}


def send_buttons(page) -> int:
    """Visible buttons that send the appeal (every submit button but the preview's)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#appeal-form button[type=submit]'))
            .filter(b => b.offsetParent !== null && !b.hasAttribute('formaction')).length"""
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_citizen_submits_tracks_rates_and_reopens(
    app, live_server, make_page, make_staff, external_requests, artifacts, tmp_path, lang
):
    texts = LANGUAGES[lang]
    photo_path = tmp_path / "IMG_2041.jpg"
    photo_path.write_bytes(jpeg_with_gps(size=(3000, 2000)))
    page = make_page(viewport=PHONE, locale=texts["locale"])

    # --- The form on a phone-sized screen ----------------------------------------------------
    page.goto(f"{live_server}/appeals/new{texts['query']}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_text(texts["warning"]).is_visible()
    page.select_option("#city", "bishkek")
    page.select_option("#category", "pothole")
    page.fill("#description", TEXT)
    page.fill("#address", "ул. Ахунбаева, у школы")
    # Tiles are unreachable in tests: the city outline is drawn and clicks still work.
    page.wait_for_selector("#map.leaflet-container")
    page.wait_for_selector("#map.tiles-failed", timeout=10_000)
    assert page.locator("#map-status").inner_text().strip() != ""
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    lat = float(page.input_value("#lat"))
    lon = float(page.input_value("#lon"))
    assert 42.80 <= lat <= 42.93 and 74.48 <= lon <= 74.72
    assert page.locator(".leaflet-marker-icon").count() == 1
    page.set_input_files("#photos", str(photo_path))
    page.fill("#email", "citizen@example.kg")
    page.check("#consent")
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    page.screenshot(path=str(artifacts / "appeal-form.png"), full_page=True)

    # --- Preview, then send -------------------------------------------------------------------
    page.click("#send")
    page.wait_for_selector("#preview:not([hidden])")
    assert "фонари" in page.inner_text("#preview-text")
    page.screenshot(path=str(artifacts / "appeal-preview.png"), full_page=True)
    assert send_buttons(page) == 1  # the preview adds no second way to send
    page.click("#send")
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{43,}\?receipt=1$"))
    receipt = page.inner_text("main")
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.public_id in receipt
    assert page.locator("html").get_attribute("lang") == lang  # the choice is remembered
    assert texts["days"] in receipt
    tracking_link = page.input_value("#tracking-link")
    assert page.locator("[data-copy=tracking-link]").is_visible()
    assert tracking_link.startswith(live_server + "/t/")
    page.screenshot(path=str(artifacts / "receipt.png"), full_page=True)

    # The stored photo is a clean copy.
    photo = db.session.scalars(select(Photo)).one()
    assert dict(Image.open(io.BytesIO(photo.data)).getexif()) == {}
    assert abs(appeal.private.lat - lat) < 1e-6

    # --- The service answers (through the service layer) ------------------------------------
    from portal.services.moderation import publish_appeal
    from portal.services.staff_actions import answer

    publish_appeal(appeal.id, make_staff(role="moderator"))
    answer(
        make_staff(role="service", service=appeal.service.code),
        appeal.public_id,
        text="Заявка передана бригаде, фонари заменят в течение недели.",
    )

    # --- Rating and reopening on the tracking page -------------------------------------------
    page.goto(tracking_link)
    assert "Заявка передана бригаде" in page.inner_text("main")
    page.check("input[name=score][value='2']")
    page.check("input[name=solved][value='no']")
    page.select_option("#reason", "not_resolved")
    page.fill("#comment", "Фонари так и не починили.")
    page.screenshot(path=str(artifacts / "rating.png"), full_page=True)
    page.click("#rate-button")
    page.wait_for_selector("#reopen-button")
    assert texts["thanks"] in page.inner_text("main")
    answered_label = page.inner_text("#status")
    page.click("#reopen-button")
    page.wait_for_url(re.compile(r"reopened=1"))
    assert texts["reopened"] in page.inner_text("main")
    assert page.inner_text("#status") != answered_label
    page.screenshot(path=str(artifacts / "reopened.png"), full_page=True)

    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.status is AppealStatus.REOPENED and appeal.last_score == 2
    assert [e.kind for e in appeal.events][-2:] == [EventKind.RATED, EventKind.REOPENED]
    assert external_requests == [] or all("127.0.0.1" in url for url in external_requests)


@pytest.mark.parametrize(
    ("lang", "heading", "send"),
    [
        ("ky", "Көйгөй тууралуу кабарлоо", "Кайрылууну жөнөтүү"),
        ("en", "Report a problem", "Send appeal"),
    ],
    ids=["ky", "en"],
)
def test_form_is_usable_in_kyrgyz_and_english_on_a_phone(
    live_server, make_page, artifacts, lang, heading, send
):
    page = make_page(viewport=PHONE)
    page.goto(f"{live_server}/appeals/new?lang={lang}")
    assert page.locator("h1").inner_text() == heading
    assert page.locator("#send").inner_text() == send
    # Submitting an empty form shows translated field errors (after the preview step).
    page.click("#send")
    page.wait_for_selector("#preview:not([hidden])")
    page.click("#send")
    page.wait_for_selector(".error-summary")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator(".field-errors").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    page.screenshot(path=str(artifacts / f"form-errors-{lang}.png"), full_page=True)


def test_form_has_one_send_button_before_and_after_the_preview(live_server, make_page):
    page = make_page(viewport=PHONE, locale="en-US")
    page.goto(f"{live_server}/appeals/new")
    assert send_buttons(page) == 1
    page.fill("#description", TEXT)
    page.click("#send")  # first press: what will be published
    page.wait_for_selector("#preview:not([hidden])")
    assert send_buttons(page) == 1
    assert page.locator("#send").inner_text() == "Confirm and send"
    assert page.evaluate("document.activeElement.id") == "send"
    page.click("#send")  # second press sends (the empty fields come back as errors)
    page.wait_for_selector(".error-summary")
    assert send_buttons(page) == 1
    # Without JavaScript the server's preview page has the same single button.
    page = make_page(viewport=PHONE, locale="en-US", javascript=False)
    page.goto(f"{live_server}/appeals/new")
    page.fill("#description", TEXT)
    page.click("#preview-button")
    page.wait_for_selector("#preview:not([hidden])")
    assert send_buttons(page) == 1
    assert page.locator("#send").inner_text() == "Confirm and send"


@pytest.mark.parametrize(
    ("lang", "message"),
    [("ru", "больше 1 МБ"), ("ky", "1 МБдан чоң"), ("en", "is larger than 1 MB")],
)
def test_a_too_large_photo_is_refused_before_upload(
    app, live_server, make_page, tmp_path, lang, message
):
    app.config["MAX_PHOTO_BYTES"] = 1024 * 1024
    big = tmp_path / "big.jpg"
    big.write_bytes(jpeg_with_gps(size=(200, 200)) + b"\0" * (1024 * 1024 + 1))
    uploads: list[str] = []
    page = make_page(viewport=PHONE)
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server}/appeals/new?lang={lang}")
    page.set_input_files("#photos", str(big))
    check = page.locator("#photos-check")
    check.wait_for(state="visible")
    assert message in check.inner_text() and "big.jpg" in check.inner_text()
    assert page.get_attribute("#photos", "aria-invalid") == "true"
    page.click("#send")
    assert uploads == []  # nothing was sent, the photo field has the focus
    assert page.evaluate("document.activeElement.id") == "photos"
    # A photo within the limit clears the message.
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg_with_gps(size=(200, 200)))
    page.set_input_files("#photos", str(small))
    check.wait_for(state="hidden")
