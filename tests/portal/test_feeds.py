"""Atom feeds of the appeal list (any filter set the list accepts) and of one appeal: they
parse cleanly with feedparser, ids are stable tag: URIs, every entry has an updated time,
pages advertise them, and only the public record goes in."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest

from portal.models import AppealStatus, utcnow

RAW_ONLY = "Жумабеков"


def _parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, response.get_data(as_text=True)


@pytest.fixture
def appeals(make_appeal, make_answer):
    now = utcnow()
    older = make_appeal(
        category="garbage",
        city="osh",
        lat=40.53,
        lon=72.80,
        text=f"{RAW_ONLY} бросает мусор <b>у дома</b>",
        public_text="[ИМЯ] бросает мусор <b>у дома</b> & рядом",
        submitted_at=now - timedelta(days=3),
    )
    newer = make_appeal(public_text="Яма на дороге", submitted_at=now - timedelta(days=1))
    make_answer(newer, text="Яму засыпали.")
    make_appeal(status=AppealStatus.SUBMITTED)  # not published: never in a feed
    return {"older": older, "newer": newer}


def test_list_feed_has_every_published_appeal_with_stable_ids(client, appeals):
    feed, _body = _parse(client, "/feeds/appeals.atom")
    ids = [entry.id for entry in feed.entries]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(entry_id.startswith("tag:portal.test,2026:appeal/") for entry_id in ids)
    assert feed.feed.id.startswith("tag:portal.test,2026:appeals")
    again, _ = _parse(client, "/feeds/appeals.atom")
    assert [entry.id for entry in again.entries] == ids and again.feed.id == feed.feed.id
    for entry in feed.entries:
        assert entry.updated_parsed and entry.link.startswith("http://portal.test/appeals/")
    assert feed.feed.updated_parsed
    rels = {link.rel: link for link in feed.feed.links}
    assert rels["self"].href == "http://portal.test/feeds/appeals.atom"
    assert rels["alternate"].href == "http://portal.test/appeals"


def test_list_feed_takes_the_lists_filters(client, appeals):
    feed, _ = _parse(client, "/feeds/appeals.atom?city=osh&category=garbage")
    assert [entry.link.rsplit("/", 1)[1] for entry in feed.entries] == [appeals["older"].public_id]
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert self_link == "http://portal.test/feeds/appeals.atom?category=garbage&city=osh"
    other, _ = _parse(client, "/feeds/appeals.atom?category=garbage&city=osh")
    assert other.feed.id == feed.feed.id  # the argument order does not change the id
    searched, _ = _parse(client, "/feeds/appeals.atom?q=ЯМА")
    assert [e.link.rsplit("/", 1)[1] for e in searched.entries] == [appeals["newer"].public_id]


def test_list_feed_is_strict_and_validates(client):
    response = client.get("/feeds/appeals.atom?categroy=garbage")
    assert response.status_code == 400 and "categroy" in response.json["errors"]
    assert client.get("/feeds/appeals.atom?status=nope").status_code == 400


def test_only_public_text_escaped_by_the_xml_writer(client, appeals):
    feed, body = _parse(client, "/feeds/appeals.atom")
    assert RAW_ONLY not in body
    assert "&lt;b&gt;у дома&lt;/b&gt; &amp; рядом" in body  # text, never markup
    osh = next(e for e in feed.entries if e.link.endswith(appeals["older"].public_id))
    assert osh.summary == "[ИМЯ] бросает мусор <b>у дома</b> & рядом"


def test_appeal_feed_has_its_public_events_and_answers(client, appeals):
    public_id = appeals["newer"].public_id
    feed, body = _parse(client, f"/feeds/appeals/{public_id}.atom?lang=en")
    ids = [entry.id for entry in feed.entries]
    assert f"tag:portal.test,2026:appeal/{public_id}/event/1" in ids
    assert any(f"appeal/{public_id}/answer/" in entry_id for entry_id in ids)
    assert len(set(ids)) == len(ids)
    assert "Яму засыпали." in body and "Published after moderation" in body
    published = next(e for e in feed.entries if e.id.endswith("/event/2"))
    assert published.title.startswith("Published after moderation")
    assert published.summary == "Яма на дороге"
    assert all(entry.updated_parsed for entry in feed.entries)
    times = [entry.updated_parsed for entry in feed.entries]
    assert times == sorted(times, reverse=True)
    assert _parse(client, f"/feeds/appeals/{public_id}.atom")[0].entries[0].id == ids[0]


def test_appeal_feed_of_an_unpublished_or_unknown_appeal_is_404(client, make_appeal):
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    assert client.get(f"/feeds/appeals/{waiting.public_id}.atom").status_code == 404
    assert client.get("/feeds/appeals/BSK-2026-999999.atom").status_code == 404
    assert client.get("/feeds/appeals/" + "X" * 300 + ".atom").status_code == 404


def test_pages_advertise_their_feeds(client, appeals):
    public_id = appeals["newer"].public_id
    pages = {
        "/appeals?city=osh": "/feeds/appeals.atom?city=osh",
        "/map?city=osh": "/feeds/appeals.atom?city=osh",
        "/": "/feeds/appeals.atom",
        f"/appeals/{public_id}": f"/feeds/appeals/{public_id}.atom",
    }
    for page, feed in pages.items():
        text = client.get(page).get_data(as_text=True)
        assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in text, page
