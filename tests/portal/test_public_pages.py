"""The server-rendered appeal list, the appeal page and the home page's figures."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from portal.extensions import db
from portal.models import AppealKind, Photo, utcnow
from portal.services.publication import fixture_writes
from portal.workdays import BISHKEK

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_list_is_server_rendered_and_paginated(client, make_appeal):
    now = utcnow()
    made = [make_appeal(submitted_at=now - timedelta(days=i)) for i in range(5)]
    page = client.get("/appeals?per_page=2").get_data(as_text=True)
    assert made[0].public_id in page and made[1].public_id in page
    assert made[2].public_id not in page
    assert 'rel="next"' in page and "page=2" in page
    last = client.get("/appeals?per_page=2&page=3").get_data(as_text=True)
    assert made[4].public_id in last and 'rel="prev"' in last


def test_list_filters_and_links_its_twins(client, make_appeal):
    light = make_appeal(category="street_light")
    pothole = make_appeal(category="pothole")
    page = client.get("/appeals?category=street_light").get_data(as_text=True)
    assert light.public_id in page and pothole.public_id not in page
    assert "/api/v1/appeals?category=street_light" in page
    assert "/map?category=street_light" in page
    assert 'value="street_light" selected' in page


def test_list_shows_a_translated_message_for_invalid_filters(client, make_appeal):
    make_appeal()
    response = client.get("/appeals?date_from=yesterday&lang=en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Use a date like 2026-01-31." in page
    assert "appeal-card" in page  # the unfiltered list is still shown


def test_hostile_text_is_escaped_in_the_list(client, make_appeal):
    make_appeal(public_text=HOSTILE)
    page = client.get("/appeals").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_appeal_page_shows_facts_location_map_photos_and_twins(client, make_appeal):
    appeal = make_appeal(submitted_at=utcnow() - timedelta(days=40))
    with fixture_writes():
        photo = Photo(
            public_id="ph0to1d",
            appeal_id=appeal.id,
            content_type="image/jpeg",
            width=10,
            height=10,
            data=b"\xff\xd8\xff",
        )
    db.session.add(photo)
    db.session.commit()
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert "Overdue" in page
    assert 'id="map_location"' in page and "L.circle" in page
    assert "/photos/ph0to1d" in page
    assert f"/api/v1/appeals/{appeal.public_id}.geojson" in page
    assert f"/api/v1/appeals/{appeal.public_id}" in page
    assert "accurate to about 100 m" in page


def test_appeal_page_without_a_public_location(client, make_appeal):
    appeal = make_appeal(category="social_help")
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert 'id="map_location"' not in page
    assert "not published" in page


def test_home_shows_headline_figures_for_the_chosen_city(client, make_appeal, make_answer):
    make_appeal(submitted_at=utcnow() - timedelta(days=40))  # overdue
    answered = make_appeal(city="osh", lat=40.53, lon=72.80)
    make_answer(answered)
    bishkek = client.get("/?city=bishkek&lang=en").get_data(as_text=True)
    assert "Open appeals now" in bishkek and "of which overdue: 1" in bishkek
    assert "last 365 days" in bishkek


def test_list_and_map_state_licence_source_and_data_time(client, make_appeal):
    make_appeal()
    for url in ("/appeals?lang=en", "/map?lang=en"):
        page = client.get(url).get_data(as_text=True)
        assert "CC BY 4.0" in page and "Data as of" in page and "Source:" in page
    assert client.get("/api/v1/appeals").json["data_as_of"]


def _timeline(page: str) -> list[str]:
    """The timeline's entries as text, without their times."""
    import re

    block = page[
        page.index('<ol class="timeline">') : page.index(
            "</ol>", page.index('<ol class="timeline">')
        )
    ]
    items = re.findall(r"<li>(.*?)</li>", block, flags=re.S)
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]
    return [text.split(" — ", 1)[1] for text in texts]


def test_the_timeline_credits_who_acted(client, make_appeal, make_staff):
    from portal.services import staff_actions

    appeal = make_appeal()
    service_name = appeal.service.name_en
    worker = make_staff(role="service", service=appeal.service.code)
    staff_actions.acknowledge(worker, appeal.public_id)
    english = _timeline(client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True))
    assert english == [
        "Appeal submitted · Resident",
        "Published after moderation · Portal moderators",
        f"Acknowledged by the service · {service_name}",
    ]
    russian = _timeline(client.get(f"/appeals/{appeal.public_id}?lang=ru").get_data(as_text=True))
    assert russian[0].endswith("· Заявитель") and russian[1].endswith("· Модераторы портала")
    kyrgyz = _timeline(client.get(f"/appeals/{appeal.public_id}?lang=ky").get_data(as_text=True))
    assert kyrgyz[0].endswith("· Арыз берүүчү")


def test_a_closure_is_the_residents_when_a_rating_closed_it():
    from types import SimpleNamespace as Event

    from portal.templating import credited

    now = utcnow()
    later = now + timedelta(days=1)
    events = [Event(kind="answered", at=now), Event(kind="rated", at=now),
              Event(kind="closed", at=now), Event(kind="reopened", at=later),
              Event(kind="closed", at=later)]  # fmt: skip
    assert [actor for _event, actor in credited(events)] == [
        "service", "resident", "resident", "resident", "service"
    ]  # fmt: skip


def test_recent_answers_are_the_newest_given_in_order(client, make_appeal, make_answer):
    now = utcnow()
    # Answers saved in an order unlike the order they were given (as an import or a
    # moderator's late release would), with one answer far older than the rest.
    ages = [30, 2, 400, 9, 1, 5, 60]
    appeals = [make_appeal(submitted_at=now - timedelta(days=500)) for _ in ages]
    for appeal, hours in zip(appeals, ages, strict=True):
        make_answer(appeal, text=f"Ответ {hours}", at=now - timedelta(hours=hours))
    page = client.get("/").get_data(as_text=True)
    recent = page[page.index('id="recent"') :]
    shown = [line for line in recent.split('<p class="text">')[1:]]
    texts = [text.split("<", 1)[0] for text in shown]
    assert texts == ["Ответ 1", "Ответ 2", "Ответ 5", "Ответ 9", "Ответ 30"]


def test_one_data_as_of_on_home_lists_api_and_datasets(client, make_appeal, make_answer):
    import re

    now = utcnow()
    appeal = make_appeal(submitted_at=now - timedelta(days=3))
    make_answer(appeal, at=now - timedelta(hours=7))  # the newest change of the record
    expected = (now - timedelta(hours=7)).replace(microsecond=0)
    api = client.get("/api/v1/appeals").json["data_as_of"]
    assert api.startswith(expected.astimezone(UTC).isoformat()[:19]) or api.startswith(
        expected.astimezone(BISHKEK).isoformat()[:19]
    ), api
    home = client.get("/?lang=en").get_data(as_text=True)
    listing = client.get("/appeals?lang=en").get_data(as_text=True)
    datasets = client.get("/datasets/?lang=en").get_data(as_text=True)
    shown = re.search(r"Data as of ([^<·]+?)\s*(?:<|·|$)", home).group(1).strip()
    assert re.search(r"Data as of ([^<·]+?)\s*(?:<|·|$)", listing).group(1).strip() == shown
    assert f">{shown}</time>" in datasets
    # Never later than now, even if an event's clock ran ahead.
    make_answer(make_appeal(), at=now + timedelta(days=2))
    from portal.queries.map import data_as_of

    assert data_as_of() <= utcnow()


def test_data_as_of_is_the_newest_change_by_time_not_by_id(app, make_appeal, make_answer):
    """An imported or generated history (seed-demo) writes events out of time order: the
    record's "data as of" is still its newest change."""
    from portal.queries.map import data_as_of

    now = utcnow()
    recent = make_appeal(submitted_at=now - timedelta(days=2))
    make_answer(recent, at=now - timedelta(hours=1))
    make_appeal(submitted_at=now - timedelta(days=90))  # written last, happened long ago
    assert abs(data_as_of() - (now - timedelta(hours=1))) < timedelta(seconds=1)


def test_appeal_page_states_each_fact_once_in_the_declared_order(client, make_appeal):
    appeal = make_appeal()
    appeal.kind, appeal.channel = AppealKind.PROPOSAL, "open311:oshcity"
    db.session.commit()
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    facts = page[page.index('<dl class="facts">') : page.index("</dl>")]
    titles = re.findall(r"<dt>(.*?)</dt>", facts)
    assert titles[:7] == [
        "Kind", "City", "District", "Category", "Service", "Submitted", "Received via",
    ]  # fmt: skip
    assert page.count("Proposal") == 1  # the kind once, not as a badge and a fact
    assert "<dd>Open311: oshcity</dd>" in facts
    assert "First answer" not in titles and "Outcome" not in titles  # nothing to say yet
