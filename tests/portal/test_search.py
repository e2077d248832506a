"""Text search ``q``: the published text of an appeal and its answers, case-insensitive in
Cyrillic too, in word forms (ru, ky, en), ranked by relevance, on the list, the JSON API,
the map API, the downloads and Open311 — and never the raw text the citizen typed.

The search is full-text since issue 18 (SQLite FTS5 / PostgreSQL tsvector): it matches
whole words in any form, no longer any substring (so "%" or "_" find nothing at all)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

BBOX = "74.40,42.75,74.80,42.95"
PRIVATE_WORD = "Жумабеков"


@pytest.fixture
def appeals(make_appeal, make_answer):
    """pothole: the word in its text; light: in its answer; scrubbed: only in the raw text."""
    pothole = make_appeal(public_text="Глубокая ЯМА у дома номер 5", lat=42.874, lon=74.612)
    light = make_appeal(
        category="street_light", public_text="Не горит фонарь", lat=42.875, lon=74.613
    )
    make_answer(light, text="Заменили лампу, яма у столба засыпана.")
    scrubbed = make_appeal(
        text=f"Сосед {PRIVATE_WORD} выкопал канаву",
        public_text="Сосед [имя скрыто] выкопал канаву",
        lat=42.876,
        lon=74.614,
    )
    kyrgyz = make_appeal(public_text="Өзөн боюнда таштанды", lat=42.877, lon=74.615)
    return {"pothole": pothole, "light": light, "scrubbed": scrubbed, "kyrgyz": kyrgyz}


def _api_ids(client, query: str) -> set[str]:
    data = client.get(f"/api/v1/appeals?{query}")
    assert data.status_code == 200, data.json
    return {item["id"] for item in data.json["appeals"]}


def test_api_returns_only_appeals_whose_public_text_or_answer_matches(client, appeals):
    found = _api_ids(client, "q=яма")
    assert found == {appeals["pothole"].public_id, appeals["light"].public_id}
    assert client.get("/api/v1/appeals?q=яма").json["filters"] == {"q": "яма"}


@pytest.mark.parametrize("query", ["ЯМА", "Яма", "яМа"])
def test_search_ignores_case_in_cyrillic(client, appeals, query):
    assert appeals["pothole"].public_id in _api_ids(client, f"q={query}")


def test_kyrgyz_letters_fold_too(client, appeals):
    assert _api_ids(client, "q=ӨЗӨН") == {appeals["kyrgyz"].public_id}


def test_the_raw_private_text_is_never_searched(client, appeals):
    assert _api_ids(client, f"q={PRIVATE_WORD}") == set()
    assert _api_ids(client, "q=канаву") == {appeals["scrubbed"].public_id}


def test_like_wildcards_are_literal_and_blank_means_any(client, appeals):
    assert _api_ids(client, "q=%25") == set()
    assert _api_ids(client, "q=_") == set()
    assert len(_api_ids(client, "q=+++")) == 4


def test_search_combines_with_the_filters(client, appeals):
    assert _api_ids(client, "q=яма&category=street_light") == {appeals["light"].public_id}


def test_too_long_a_search_is_a_400(client):
    response = client.get("/api/v1/appeals?q=" + "я" * 101)
    assert response.status_code == 400 and "q" in response.json["errors"]


def test_the_list_page_has_a_search_box_and_searches(client, appeals):
    page = client.get("/appeals?q=яма&lang=en").get_data(as_text=True)
    assert 'type="search" name="q" value="яма"' in page
    assert appeals["pothole"].public_id in page and appeals["light"].public_id in page
    assert appeals["kyrgyz"].public_id not in page
    assert "q=%D1%8F%D0%BC%D0%B0" in page  # the twins carry the search


def test_the_map_api_searches(client, appeals):
    data = client.get(f"/api/v1/map?zoom=18&bbox={BBOX}&q=яма").json
    ids = {feature["properties"]["id"] for feature in data["features"]}
    assert ids == {appeals["pothole"].public_id, appeals["light"].public_id}


def test_downloads_search(client, appeals):
    body = client.get("/datasets/appeals.csv?q=яма").get_data(as_text=True)
    ids = {row["id"] for row in csv.DictReader(io.StringIO(body))}
    assert ids == {appeals["pothole"].public_id, appeals["light"].public_id}


def test_open311_takes_q(client, appeals):
    items = client.get("/open311/v2/requests.json?q=ЯМА").json
    ids = {item["service_request_id"] for item in items}
    assert ids == {appeals["pothole"].public_id, appeals["light"].public_id}
    assert client.get(f"/open311/v2/requests.json?q={PRIVATE_WORD}").json == []


@pytest.mark.parametrize("probe_min", [-1, 10**9])  # a common word's plan, a rarer one's
def test_open311_and_downloads_find_the_same_whichever_plan(
    client, appeals, monkeypatch, probe_min
):
    from portal.queries import search

    monkeypatch.setattr(search, "PROBE_MIN", probe_min)
    expected = {appeals["pothole"].public_id, appeals["light"].public_id}
    items = client.get("/open311/v2/requests.json?q=ЯМА").json
    assert {item["service_request_id"] for item in items} == expected
    body = client.get("/datasets/appeals.csv?q=яма").get_data(as_text=True)
    assert {row["id"] for row in csv.DictReader(io.StringIO(body))} == expected
    assert client.get(f"/open311/v2/requests.json?q={PRIVATE_WORD}").json == []


def test_openapi_documents_q(client):
    document = client.get("/api/openapi.json").json
    for path in ("/api/v1/appeals", "/api/v1/map", "/open311/v2/requests.json"):
        operation = document["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert "q" in names, path


def test_a_search_is_kept_with_the_map_index_for_a_minute(app, client, appeals, monkeypatch):
    from portal.models import utcnow
    from portal.queries import map_index, search
    from portal.queries.map_index_cache import point_index

    calls, real, now = [], search.find, utcnow()
    monkeypatch.setattr(search, "find", lambda q: calls.append(q) or real(q))
    monkeypatch.setattr(map_index, "utcnow", lambda: now)
    index = point_index()
    assert index.search("яма").ids.tolist() == index.search("яма").ids.tolist()
    index.search_mask("яма")
    assert calls == ["яма"]  # panning with the same search does not search again
    monkeypatch.setattr(map_index, "utcnow", lambda: now + timedelta(minutes=1))
    index.search("яма")
    assert calls == ["яма", "яма"]  # a minute later: searched again (released texts)


# --- Word forms, ranking, the gate ------------------------------------------------------------


@pytest.fixture
def forms(make_appeal, make_answer):
    ru = make_appeal(public_text="Во дворе огромные ямы, машины объезжают")
    ru_instr = make_appeal(public_text="Проблема с ямой на перекрёстке")
    ky = make_appeal(public_text="Көчөлөрдө таштандылар жатат", lat=42.877, lon=74.615)
    en = make_appeal(public_text="Two deep potholes near the school", lat=42.878, lon=74.616)
    answered = make_appeal(public_text="Не горит фонарь", category="street_light")
    make_answer(answered, text="Светильники заменены подрядчиком")
    return {"ru": ru, "ru_instr": ru_instr, "ky": ky, "en": en, "answered": answered}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("яма", {"ru", "ru_instr"}),  # "ямы", "ямой"
        ("ЯМАХ", {"ru", "ru_instr"}),
        ("машина объезжать", {"ru"}),  # every word, each in some form
        ("көчө", {"ky"}),  # Kyrgyz: -лөр-дө stripped
        ("таштанды", {"ky"}),  # Kyrgyz plural -лар
        ("pothole", {"en"}),  # English plural
        ("светильник", {"answered"}),  # the published answer's text
        ("яма pothole", set()),
    ],
)
def test_word_forms_are_found(client, forms, query, expected):
    assert _api_ids(client, f"q={query}") == {forms[k].public_id for k in expected}


def test_results_are_ranked_by_relevance_when_searching(client, make_appeal):
    once = make_appeal(
        public_text="Во дворе много проблем: мусор, лужи, сломанная скамейка, разбитый "
        "фонарь, нет освещения, и ещё где-то яма у гаражей за домом номер семь"
    )
    often = make_appeal(public_text="Яма, яма и ещё раз яма")
    newest = make_appeal(public_text="Сломанная скамейка")
    order = [item["id"] for item in client.get("/api/v1/appeals?q=яма").json["appeals"]]
    assert order == [often.public_id, once.public_id]
    # Without a search: newest first, as before.
    order = [item["id"] for item in client.get("/api/v1/appeals").json["appeals"]]
    assert order == [newest.public_id, often.public_id, once.public_id]
    page = client.get("/appeals?q=яма&lang=en").get_data(as_text=True)
    assert page.index(often.public_id) < page.index(once.public_id)
    assert "Most relevant first." in page
    assert client.get("/api/v1/appeals?q=яма").json["order"] == "relevance"


def test_the_index_holds_no_raw_text_and_no_held_text(app, broken_scrubber, make_staff):
    """Through the real use cases: a submitted text is not found before a moderator
    publishes it, the raw text never, a held answer only once released."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import HeldText, SearchDocument
    from portal.schemas.appeal import AppealSubmissionSchema
    from portal.services import staff_actions
    from portal.services.moderation import approve_text, publish_appeal
    from portal.services.submission import submit_appeal

    client = app.test_client()
    data = AppealSubmissionSchema().load(
        {"city": "bishkek", "category": "garbage", "consent": "y",
         "description": f"Меня зовут {PRIVATE_WORD}. Во дворе не вывозят мусор.",
         "lat": "42.8746", "lon": "74.6122"}
    )  # fmt: skip
    submitted = submit_appeal(data).appeal
    assert _api_ids(client, "q=мусор") == set()  # not published yet
    moderator = make_staff(role="moderator")
    publish_appeal(submitted.id, moderator, public_text="Во дворе не вывозят мусор.")
    assert _api_ids(client, "q=мусора") == {submitted.public_id}
    assert _api_ids(client, f"q={PRIVATE_WORD}") == set()

    worker = make_staff(role="service", service=submitted.service.code)
    staff_actions.answer(worker, submitted.public_id, text="Контейнеры заменены")
    assert _api_ids(client, "q=контейнер") == set()  # held: the scrubber is broken
    hold = db.session.scalars(select(HeldText)).one()
    approve_text(hold.id, moderator, "Контейнеры заменены")
    client.get("/api/v1/appeals")  # a new request
    from portal.queries.search import ranked_ids

    assert ranked_ids("контейнер") == [submitted.id]
    tokens = " ".join(db.session.scalars(select(SearchDocument.tokens)))
    assert "жумабек" not in tokens and "контейнер" in tokens


def test_a_withdrawn_text_leaves_the_index(app, make_appeal):
    from portal.extensions import db
    from portal.queries.search import ranked_ids
    from portal.services.publication import fixture_writes

    appeal = make_appeal(public_text="Сломанная скамейка")
    assert ranked_ids("скамейки") == [appeal.id]
    with fixture_writes():
        appeal.public_text = "Сломанный забор"
    db.session.commit()
    assert ranked_ids("скамейки") == [] and ranked_ids("забором") == [appeal.id]


@pytest.mark.postgres
def test_the_postings_follow_every_write_of_a_document(app, make_appeal, make_answer):
    """PostgreSQL finds matches in search_terms alone: its triggers keep it equal to the
    documents' tokens through a new text, a rewrite, an answer and a deleted document."""
    from sqlalchemy import delete, select

    from portal.extensions import db
    from portal.models import SearchDocument, SearchTerm
    from portal.queries.search import ranked_ids
    from portal.services.publication import fixture_writes

    def postings() -> set[tuple[str, int]]:
        return set(db.session.execute(select(SearchTerm.term, SearchTerm.appeal_id)).all())

    def documents() -> set[tuple[str, int]]:
        rows = db.session.execute(select(SearchDocument.tokens, SearchDocument.appeal_id))
        return {(term, appeal_id) for tokens, appeal_id in rows for term in tokens.split()}

    bench = make_appeal(public_text="Сломанная скамейка, скамейка без спинки")
    garbage = make_appeal(public_text="Мусор у скамейки")
    assert ("скамейк", bench.id) in postings() and postings() == documents()
    with fixture_writes():
        bench.public_text = "Сломанный забор"
    db.session.commit()
    make_answer(garbage, text="Мусор вывезли")
    assert postings() == documents() and ("скамейк", bench.id) not in postings()
    assert ranked_ids("скамейки") == [garbage.id] and ranked_ids("мусор вывезли") == [garbage.id]
    db.session.execute(delete(SearchDocument).where(SearchDocument.appeal_id == garbage.id))
    db.session.commit()
    assert postings() == documents() and {appeal for _, appeal in postings()} == {bench.id}


def test_the_tokens_are_the_same_for_documents_and_queries():
    from portal.search_text import document_tokens, kyrgyz_stem, query_terms

    assert query_terms("Ямы, ЯМОЙ!") == [("ям", "ямы"), ("ям", "ямой")]
    assert set(document_tokens("яма")) & set(" ".join(query_terms("ямой")[0]))
    assert kyrgyz_stem("көчөлөрдө") == "көчө" and kyrgyz_stem("жол") == "жол"
    assert query_terms("%_ !!") == []


def test_a_word_too_common_to_rank_lists_newest_first_and_says_so(client, make_appeal, monkeypatch):
    from portal.queries import search

    once = make_appeal(public_text="Во дворе мусор, и ещё яма у гаражей за домом номер семь")
    often = make_appeal(public_text="Яма, яма и ещё раз яма")
    newest = make_appeal(public_text="Глубокая яма")
    monkeypatch.setattr(search, "RANKED_MAX", 2)  # three matches: too many to rank
    body = client.get("/api/v1/appeals?q=яма&per_page=2").json
    assert body["order"] == "newest" and body["total"] == 3  # the count is never capped
    second = client.get("/api/v1/appeals?q=яма&per_page=2&page=2").json["appeals"]
    order = [item["id"] for item in body["appeals"] + second]
    assert order == [newest.public_id, often.public_id, once.public_id]  # pages do not overlap
    page = client.get("/appeals?q=яма&lang=en").get_data(as_text=True)
    assert "Newest first: more than 2 appeals contain these words" in page
    assert client.get("/api/v1/appeals").json["order"] == "newest"


def test_the_map_counts_every_match_of_a_word_too_common_to_rank(client, make_appeal, monkeypatch):
    from portal.queries import search

    for n in range(3):
        make_appeal(public_text=f"Яма номер {n}")
    monkeypatch.setattr(search, "RANKED_MAX", 1)
    assert client.get("/api/v1/appeals?q=яма").json["total"] == 3
    assert _api_ids(client, "q=ямы") == _api_ids(client, "q=яма")
