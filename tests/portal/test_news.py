"""News of the mayor's office: editors (and admins) publish, everyone reads on the home
page, /news and the Atom feed — and no script in an item ever runs."""

from __future__ import annotations

import io
import re

import feedparser
import pytest
from PIL import Image

from portal.extensions import db
from portal.models import NewsItem, Photo

HOSTILE = (
    "Открыт новый сквер. <script>alert('x')</script>\n\n"
    '<img src=x onerror="alert(1)"> <a href="https://e.test" onclick="alert(2)">a</a>\n\n'
    "[ссылка](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD4=) "
    "[vb](vbscript:msgbox) <iframe src=https://e.test></iframe>\n\n"
    '<svg onload=alert(4)></svg> <style>body{display:none}</style> ]]> "&" '
    "**Работы** закончены, [подробнее](https://bishkek.kg/news)."
)
ITEM = {
    "title_ru": "Новый сквер <script>alert(5)</script>",
    "body_ru": HOSTILE,
    "title_en": "A new square",
    "body_en": "The square is *open*; see [the plan](https://bishkek.kg/plan).",
}


def _no_script(text: str) -> None:
    """Nothing that could run: no script/iframe/svg/style element, no event handler
    attribute, no javascript:/data:/vbscript: link."""
    lowered = text.lower()
    for tag in ("<script", "<iframe", "<svg", "<style", "<img"):
        assert tag not in lowered, tag
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), "event handler attribute"
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|data|vbscript):", lowered)


@pytest.fixture
def editor(make_staff, login_as):
    user = make_staff(role="editor")
    login_as(user)
    return user


def _publish(client, **values) -> None:
    response = client.post("/staff/news/new", data={**ITEM, **values})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_an_editor_publishes_and_no_script_runs_anywhere(client, editor):
    _publish(client)
    item = db.session.query(NewsItem).one()
    for url in ("/news", f"/news/{item.id}", "/", "/news?lang=en", "/?lang=ky"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        articles = re.findall(r'<article class="news-item".*?</article>', page, re.S)
        assert articles, url
        for article in articles:
            _no_script(article)
        # Nor anywhere else on the page (the portal's own scripts carry a nonce).
        for tag, content in re.findall(r"(<script\b[^>]*>)(.*?)</script>", page, re.S | re.I):
            assert "nonce=" in tag or 'src="/static/' in tag, tag  # only the portal's own
            assert "alert" not in content
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", page.lower()), "event handler"
        assert "alert(5)</script>" not in page  # the title is text too
    page = client.get("/news").get_data(as_text=True)
    assert "&lt;script&gt;" in page  # the hostile markup is shown as text
    assert "<strong>Работы</strong>" in page
    assert 'href="https://bishkek.kg/news" rel="noopener noreferrer nofollow"' in page
    english = client.get("/news?lang=en").get_data(as_text=True)
    assert "A new square" in english and "<em>open</em>" in english
    kyrgyz = client.get("/news?lang=ky").get_data(as_text=True)
    assert "Новый сквер" in kyrgyz  # no Kyrgyz text: the Russian is shown


def test_the_atom_feed_parses_and_carries_only_sanitised_html(client, editor):
    _publish(client)
    _publish(client, title_ru="Второе сообщение", title_en="Second item")
    response = client.get("/news.atom?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Second item", "A new square"]
    assert parsed.entries[0].link.startswith("http://portal.test/news/")
    ru = feedparser.parse(client.get("/news.atom?lang=ru").data)
    [hostile] = [e for e in ru.entries if e.title.startswith("Новый сквер")]
    _no_script(hostile.content[0].value)
    _no_script(response.get_data(as_text=True).replace("&lt;", "<").replace("&gt;", ">")
               .replace("&amp;lt;", "&lt;").replace("&amp;gt;", "&gt;"))  # fmt: skip
    assert "<strong>Работы</strong>" in hostile.content[0].value


def test_empty_state_and_pages(client, editor):
    assert "No news has been published yet." in client.get("/news?lang=en").get_data(as_text=True)
    assert feedparser.parse(client.get("/news.atom").data).entries == []
    for number in range(12):
        _publish(client, title_ru=f"Сообщение номер {number:02d}", title_en=None, body_en=None)
    first = client.get("/news").get_data(as_text=True)
    second = client.get("/news?page=2").get_data(as_text=True)
    assert first.count('class="news-item"') == 10 and second.count('class="news-item"') == 2
    assert "Сообщение номер 11" in first and "Сообщение номер 00" in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    bad = client.get("/news?page=abc&lang=en")
    assert bad.status_code == 400 and "page must be a whole number." in bad.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="news-item"') == 3


@pytest.mark.parametrize("role,allowed", [("editor", True), ("admin", True),
                                          ("moderator", False), ("service", False)])  # fmt: skip
def test_only_editors_and_admins_publish(client, make_staff, login_as, role, allowed):
    user = make_staff(role=role, service="bsk-roads" if role == "service" else None)
    login_as(user)
    response = client.post("/staff/news/new", data=ITEM)
    assert response.status_code == (302 if allowed else 403)
    assert client.get("/staff/news/").status_code == (200 if allowed else 403)
    assert db.session.query(NewsItem).count() == (1 if allowed else 0)


def test_anonymous_visitors_cannot_publish(client):
    response = client.post("/staff/news/new", data=ITEM)
    assert response.status_code in (302, 401) and db.session.query(NewsItem).count() == 0


def test_bad_input_gets_translated_field_errors(client, editor):
    response = client.post("/staff/news/new?lang=ru", data={"title_ru": "", "body_ru": "коротко"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Это поле обязательно" in page
    response = client.post(
        "/staff/news/new?lang=en", data={**ITEM, "title_ky": "Жаңы сквер", "body_ky": ""}
    )
    assert response.status_code == 400
    assert "Give the title and the text in this language." in response.get_data(as_text=True)
    assert db.session.query(NewsItem).count() == 0


def test_an_editor_corrects_and_removes_an_item(client, editor):
    _publish(client)
    item = db.session.query(NewsItem).one()
    assert (
        client.post(f"/staff/news/{item.id}", data={**ITEM, "title_ru": "Исправлено"}).status_code
        == 302
    )
    assert "Исправлено" in client.get("/news").get_data(as_text=True)
    assert client.post(f"/staff/news/{item.id}/delete").status_code == 302
    assert client.get(f"/news/{item.id}").status_code == 404
    assert client.post("/staff/news/9999/delete").status_code == 404


def test_demo_data_brings_news_in_three_languages_once(runner, client):
    for _ in range(2):
        result = runner.invoke(args=["seed-demo", "--appeals", "0", "--today", "2026-11-22"])
        assert result.exit_code == 0, result.output
    assert db.session.query(NewsItem).count() == 3
    assert "Tree planting has begun" in client.get("/?lang=en").get_data(as_text=True)
    assert "<strong>1,200</strong>" in client.get("/news?lang=en").get_data(as_text=True)


# --- The optional photo ---------------------------------------------------------------------

ALT = "Саженцы клёна вдоль проспекта"


def gps_jpeg(color=(30, 140, 60)) -> io.BytesIO:
    """A phone photo with the camera owner's name and a GPS position in EXIF."""
    exif = Image.Exif()
    exif[0x013B] = "Sentinel Photographer"  # Artist
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 30.0), 3: "E", 4: (74.0, 36.0, 10.0)}
    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, "JPEG", exif=exif)
    out.seek(0)
    return out


def _photo_urls(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<img src="(/photos/[0-9a-f]{32})" alt="([^"]*)"', page)


def test_a_news_photo_is_re_encoded_shown_with_alt_text_and_in_the_feed(client, editor):
    _publish(client, photo=(gps_jpeg(), "IMG_0001.jpg", "image/jpeg"), photo_alt_ru=ALT,
             photo_alt_en="Maple saplings along the avenue")  # fmt: skip
    item = db.session.query(NewsItem).one()
    for url in ("/news", "/", f"/news/{item.id}"):
        [(src, alt)] = _photo_urls(client.get(url).get_data(as_text=True))
        assert alt == ALT, url
    assert _photo_urls(client.get("/news?lang=en").get_data(as_text=True))[0][1] == (
        "Maple saplings along the avenue"
    )
    served = client.get(src)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (640, 480) and not image.getexif() and "exif" not in image.info
    assert b"Sentinel" not in served.data
    entry = feedparser.parse(client.get("/news.atom").data).entries[0]
    [enclosure] = entry.enclosures
    assert enclosure.href == f"http://portal.test{src}" and enclosure.type == "image/jpeg"
    assert client.get(enclosure.href.removeprefix("http://portal.test")).status_code == 200


def test_without_alt_text_the_title_describes_the_photo(client, editor):
    _publish(client, photo=(gps_jpeg(), "p.jpg", "image/jpeg"))
    [(_, alt)] = _photo_urls(client.get("/news?lang=en").get_data(as_text=True))
    assert alt == "A new square"


@pytest.mark.parametrize(
    "upload",
    [
        (b"<?php echo 1; ?> not an image", "x.jpg", "image/jpeg"),
        (b"\xff\xd8\xff" + b"0" * 2_000_000, "big.jpg", "image/jpeg"),
    ],  # fmt: skip
    ids=["fake", "oversized"],
)
def test_a_refused_photo_is_a_translated_error_and_nothing_is_stored(client, editor, app, upload):
    app.config["MAX_PHOTO_BYTES"] = 1024 * 1024
    data, name, mimetype = upload
    response = client.post(
        "/staff/news/new?lang=en", data={**ITEM, "photo": (io.BytesIO(data), name, mimetype)}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Only JPEG, PNG and WebP photos are accepted." in page or "too large" in page
    ru = client.post("/staff/news/new?lang=ru", data={**ITEM, "photo": (io.BytesIO(data), name,
                                                                         mimetype)})  # fmt: skip
    assert ru.status_code == 400 and "Only JPEG" not in ru.get_data(as_text=True)
    assert db.session.query(NewsItem).count() == 0 and db.session.query(Photo).count() == 0


def test_an_editor_replaces_and_removes_the_photo(client, editor):
    _publish(client, photo=(gps_jpeg(), "a.jpg", "image/jpeg"))
    item = db.session.query(NewsItem).one()
    [(first, _)] = _photo_urls(client.get("/news").get_data(as_text=True))
    assert "Remove the photo" in client.get(f"/staff/news/{item.id}?lang=en").get_data(as_text=True)
    edit = f"/staff/news/{item.id}"
    photo = (gps_jpeg((200, 20, 20)), "b.jpg", "image/jpeg")
    assert client.post(edit, data={**ITEM, "photo": photo}).status_code == 302
    [(second, _)] = _photo_urls(client.get("/news").get_data(as_text=True))
    assert second != first and client.get(first).status_code == 404
    # Correcting the text alone keeps the photo.
    assert client.post(edit, data={**ITEM, "title_ru": "Исправлено"}).status_code == 302
    assert _photo_urls(client.get("/news").get_data(as_text=True))[0][0] == second
    assert client.post(edit, data={**ITEM, "remove_photo": "true"}).status_code == 302
    assert _photo_urls(client.get("/news").get_data(as_text=True)) == []
    assert client.get(second).status_code == 404 and db.session.query(Photo).count() == 0
    _publish(client, photo=(gps_jpeg(), "c.jpg", "image/jpeg"))
    newest = db.session.query(NewsItem).order_by(NewsItem.id.desc()).first()
    assert client.post(f"/staff/news/{newest.id}/delete").status_code == 302
    assert db.session.query(Photo).count() == 0
