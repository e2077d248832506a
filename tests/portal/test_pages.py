"""The minimal public pages, health check and error formats."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import ConfigError
from portal.models import AppealStatus


def test_home_shows_an_empty_state_without_appeals(client):
    page = client.get("/").get_data(as_text=True)
    assert "Пока не опубликовано ни одного обращения" in page or "No appeals" in page


def test_home_lists_recent_answers_of_published_appeals_only(client, make_appeal, make_answer):
    published = make_appeal(status=AppealStatus.PUBLISHED)
    make_answer(published, text="Яма заделана бригадой.")
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    page = client.get("/").get_data(as_text=True)
    assert published.public_id in page
    assert "Яма заделана бригадой." in page
    assert waiting.public_id not in page


def test_appeal_page_shows_public_text_and_timeline(client, make_appeal, make_answer):
    appeal = make_appeal(text="Сырой текст", public_text="Опубликованный текст про яму")
    make_answer(appeal, text="Яма заделана бригадой.")
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "Опубликованный текст про яму" in page
    assert "Сырой текст" not in page
    assert "Яма заделана бригадой." in page
    assert page.count("<li>") >= 3  # submitted, published, answered


def test_unpublished_appeal_is_not_found(client, make_appeal):
    appeal = make_appeal(status=AppealStatus.SUBMITTED)
    assert client.get(f"/appeals/{appeal.public_id}").status_code == 404


def test_hostile_text_is_escaped_on_the_appeal_page(client, make_appeal):
    appeal = make_appeal(public_text='<script>alert(1)</script><img src=x onerror="alert(2)">')
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_readyz_checks_the_database(client):
    assert client.get("/healthz").json == {"status": "ok"}  # liveness: the process answers
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] in {"ok", "degraded"} and response.json["database"] == "ok"


def test_readyz_reports_an_unreachable_database(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable" and response.json["database"] == "down"
    assert app.test_client().get("/healthz").status_code == 200


def test_errors_come_in_the_format_of_each_area(client):
    html = client.get("/no-such-page")
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert "404" in html.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json["error"]["code"] == 404
    open311 = client.get("/open311/v2/no-such-thing.json")
    assert open311.status_code == 404 and open311.json[0]["code"] == 404


def test_language_is_chosen_remembered_and_negotiated(client):
    english = client.get("/?lang=en")
    assert "Recent answers" in english.get_data(as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "Recent answers" in client.get("/").get_data(as_text=True)  # cookie remembered
    kyrgyz = client.get("/", headers={"Accept-Language": "ky"}, environ_base={})
    assert kyrgyz.status_code == 200


def test_the_language_switch_keeps_path_filters_and_page(client):
    page = client.get("/appeals?city=osh&category=garbage&page=2&lang=ky").get_data(as_text=True)
    switch = page[page.index('class="lang-switch"') :]
    switch = switch[: switch.index("</nav>")]
    for code in ("ru", "ky", "en"):
        link = f'href="/appeals?city=osh&amp;category=garbage&amp;page=2&amp;lang={code}"'
        assert link in switch, switch
    assert client.get("/?lang=en").get_data(as_text=True).count('href="/?lang=ru"') == 1


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://"})
