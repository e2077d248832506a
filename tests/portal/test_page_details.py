"""Small things a reader notices at once: the name said once, times to the minute, metres on
the map's scale, the deadline once on the receipt, a contact on the privacy page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.portal.test_submission import form


@pytest.mark.parametrize("lang", ["ru", "ky", "en"])
def test_the_header_names_the_portal_once(client, lang):
    page = client.get(f"/privacy?lang={lang}").get_data(as_text=True)
    brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', page, re.S).group(1)
    assert brand.lower().count("ачык шаар") <= 1
    if lang == "ky":
        assert "<small>" not in brand  # "Ачык Шаар" is already "Open City"
    else:
        assert "<small>" in brand


def test_times_are_shown_to_the_minute(client, make_appeal):
    at = datetime(2026, 11, 3, 8, 7, 42, tzinfo=UTC)  # 14:07:42 in Bishkek
    appeal = make_appeal(submitted_at=at)
    for lang, shown in (("ru", "14:07"), ("ky", "14:07"), ("en", "2:07")):
        page = client.get(f"/appeals/{appeal.public_id}?lang={lang}").get_data(as_text=True)
        assert shown in page
        assert "14:07:42" not in page and "2:07:42" not in page


def test_the_map_scale_is_metric_only(client):
    for url in ("/", "/map"):
        page = client.get(url).get_data(as_text=True)
        assert "L.control.scale({ metric: true, imperial: false })" in page
        assert "L.control.scale()" not in page


def test_the_receipt_gives_the_deadline_once(client):
    response = client.post("/appeals/new?lang=en", data=form())
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("Answer due") == 1
    assert page.count('id="due"') == 1
    assert "working days" in page


def test_the_privacy_page_gives_a_contact(app, client):
    app.config["CONTACT_EMAIL"] = "privacy@city.example.kg"
    for lang, heading in (("ru", "Контакты"), ("ky", "Байланыш"), ("en", "Contact")):
        page = client.get(f"/privacy?lang={lang}").get_data(as_text=True)
        assert 'href="mailto:privacy@city.example.kg"' in page
        assert heading in page
