"""kind: every appeal is a problem, a proposal or a question — chosen on the form, in the
API and Open311, published wherever the record goes, a shared filter, and counted per
kind on /performance (services are ranked on problems only)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appeal, AppealKind
from portal.services.moderation import publish_appeal

DESCRIPTION = "Предлагаю посадить карагачи вдоль улицы, летом здесь совсем нет тени."
FORM = {"city": "bishkek", "category": "pothole", "description": DESCRIPTION,
        "lat": "42.8746", "lon": "74.6122", "consent": "true"}  # fmt: skip
OPEN311 = {"service_code": "pothole", "lat": "42.8746", "long": "74.6122",
           "description": DESCRIPTION, "api_key": "kind-key-0123456789"}  # fmt: skip
BISHKEK_BBOX = "74.45,42.78,74.75,42.95"


@pytest.fixture
def keyed(app):
    app.config["OPEN311_API_KEYS"] = (OPEN311["api_key"],)
    return app.test_client()


def _newest_kind() -> str:
    return db.session.scalars(select(Appeal.kind).order_by(Appeal.id.desc())).first()


def test_every_entry_point_records_the_kind_and_problem_is_the_default(keyed):
    assert keyed.post("/appeals/new", data=FORM).status_code == 302
    assert _newest_kind() == "problem"
    assert keyed.post("/appeals/new", data={**FORM, "kind": "proposal"}).status_code == 302
    assert _newest_kind() == "proposal"
    body = {**FORM, "consent": True, "lat": 42.8746, "lon": 74.6122, "kind": "question"}
    assert keyed.post("/api/v1/appeals", json=body).status_code == 201
    assert _newest_kind() == "question"
    sent = {**OPEN311, "attribute[kind]": "proposal"}
    assert keyed.post("/open311/v2/requests.json", data=sent).status_code == 201
    assert _newest_kind() == "proposal"
    assert keyed.post("/open311/v2/requests.json", data=OPEN311).status_code == 201
    assert _newest_kind() == "problem"


@pytest.mark.parametrize("lang,message", [
    ("en", "Choose a problem, a proposal or a question."),
    ("ru", "Выберите: проблема, предложение или вопрос."),
])  # fmt: skip
def test_an_unknown_kind_is_refused_with_a_translated_error(keyed, lang, message):
    before = db.session.scalar(select(db.func.count()).select_from(Appeal))
    body = {**FORM, "consent": True, "lat": 42.8746, "lon": 74.6122, "kind": "complaint"}
    response = keyed.post(f"/api/v1/appeals?lang={lang}", json=body)
    assert response.status_code == 400
    assert message in json.dumps(response.json, ensure_ascii=False)
    page = keyed.post(f"/appeals/new?lang={lang}", data={**FORM, "kind": "<script>"})
    assert page.status_code in (200, 400) and message in page.get_data(as_text=True)
    sent = {**OPEN311, "attribute[kind]": "complaint"}
    response = keyed.post(f"/open311/v2/requests.json?lang={lang}", data=sent)
    assert response.status_code == 400
    assert message in json.dumps(response.json, ensure_ascii=False)
    assert "attribute[kind]" in response.json[0]["description"]  # the Open311 field name
    assert db.session.scalar(select(db.func.count()).select_from(Appeal)) == before


def test_the_form_offers_each_kind_with_its_explanation(client):
    page = client.get("/appeals/new?lang=en").get_data(as_text=True)
    for code in ("problem", "proposal", "question"):
        assert f'name="kind" value="{code}"' in page
    assert "which trees to plant" in page
    assert 'value="problem" checked' in page
    ky = client.get("/appeals/new?lang=ky").get_data(as_text=True)
    assert "Сунуш" in ky


def _published(make_appeal, make_staff, kind: str, count: int = 1) -> list[str]:
    ids = []
    for index in range(count):
        appeal = make_appeal(text=f"{DESCRIPTION} {kind} {index}")
        appeal.kind = AppealKind(kind)
        db.session.commit()
        ids.append(appeal.public_id)
    return ids


def test_the_kind_is_published_and_filters_every_listing(client, make_appeal, make_staff):
    [proposal] = _published(make_appeal, make_staff, "proposal")
    [problem] = _published(make_appeal, make_staff, "problem")

    assert client.get(f"/api/v1/appeals/{proposal}").json["kind"] == "proposal"
    listed = client.get("/api/v1/appeals?kind=proposal").json["appeals"]
    assert [a["id"] for a in listed] == [proposal]
    [request] = client.get(f"/open311/v2/requests/{proposal}.json?extensions=true").json
    assert request["extended_attributes"]["kind"] == "proposal"

    rows = list(csv.DictReader(io.StringIO(client.get("/datasets/appeals.csv").data.decode())))
    assert {row["id"]: row["kind"] for row in rows} == {proposal: "proposal", problem: "problem"}
    only = client.get("/datasets/appeals.csv?kind=problem").data.decode()
    assert problem in only and proposal not in only
    features = client.get("/datasets/appeals.geojson?kind=proposal").json["features"]
    assert [f["properties"]["kind"] for f in features] == ["proposal"]

    package = json.loads(client.get("/datasets/datapackage.json").data)
    appeals = next(r for r in package["resources"] if r["name"] == "appeals")
    [spec] = [f for f in appeals["schema"]["fields"] if f["name"] == "kind"]
    assert spec["constraints"]["enum"] == ["problem", "proposal", "question"]
    assert "kind" in client.get("/datasets/dictionary?lang=en").get_data(as_text=True)

    html = client.get("/appeals?kind=proposal&lang=en").get_data(as_text=True)
    assert proposal in html and problem not in html
    assert '<option value="proposal" selected>' in html
    data = client.get(f"/api/v1/map?zoom=17&bbox={BISHKEK_BBOX}&kind=question").json
    assert data["meta"]["total"] == 0
    data = client.get(f"/api/v1/map?zoom=17&bbox={BISHKEK_BBOX}&kind=proposal").json
    assert data["meta"]["total"] == 1

    page = client.get(f"/appeals/{proposal}?lang=en").get_data(as_text=True)
    assert "Kind" in page and "Proposal" in page
    bad = client.get("/api/v1/appeals?kind=complaint&lang=en")
    assert bad.status_code == 400 and "Unknown kind of appeal." in json.dumps(bad.json)


def test_performance_ranks_problems_and_counts_each_kind(client, make_appeal, make_staff):
    _published(make_appeal, make_staff, "problem", 6)
    _published(make_appeal, make_staff, "proposal", 5)
    _published(make_appeal, make_staff, "question", 2)
    today = date.today()
    window = f"from={today - timedelta(days=30)}&to={today}"
    data = client.get(f"/performance.json?{window}").json
    received = sum(row["received"] or 0 for row in data["groups"]["service"])
    assert received == 6  # the ranking counts problems only
    assert [(k["kind"], k["received"]) for k in data["kinds"]] == [
        ("problem", 6), ("proposal", 5), ("question", None),  # fewer than 5: suppressed
    ]  # fmt: skip
    page = client.get(f"/performance?lang=en&{window}").get_data(as_text=True)
    assert "Problems, proposals and questions" in page and "Services are ranked on problems" in page


def test_a_published_proposal_keeps_its_kind(keyed, make_staff):
    assert keyed.post("/appeals/new", data={**FORM, "kind": "proposal"}).status_code == 302
    appeal = db.session.scalars(select(Appeal).order_by(Appeal.id.desc())).first()
    publish_appeal(appeal.id, make_staff(role="moderator"))
    assert keyed.get(f"/api/v1/appeals/{appeal.public_id}").json["kind"] == "proposal"


def test_demo_data_holds_every_kind_with_fitting_texts(runner):
    result = runner.invoke(args=["seed-demo", "--appeals", "400", "--seed", "3",
                                 "--today", "2026-11-22"])  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = dict(
        db.session.execute(select(Appeal.kind, db.func.count()).group_by(Appeal.kind)).all()
    )
    assert set(counts) == set(AppealKind) and counts[AppealKind.PROBLEM] > 300
    proposals = db.session.scalars(
        select(Appeal.public_text).where(
            Appeal.kind == AppealKind.PROPOSAL, Appeal.public_text.is_not(None)
        )
    ).all()
    assert proposals and all(("редлага" in t or "сунуш" in t or "propose" in t) for t in proposals)


def test_a_proposal_ends_with_a_stated_outcome_and_a_public_reason(
    client, make_appeal, make_staff, login_as
):
    [proposal] = _published(make_appeal, make_staff, "proposal")
    [problem] = _published(make_appeal, make_staff, "problem")
    login_as(make_staff(role="service", service="bsk-roads"))
    url = f"/staff/api/v1/appeals/{proposal}/outcome?lang=en"
    refused = client.post(url, json={"outcome": "declined"})
    assert refused.status_code == 400
    assert "Give the public reason for declining the proposal." in json.dumps(refused.json)
    assert client.post(url, json={"outcome": "maybe"}).status_code == 400
    other = client.post(f"/staff/api/v1/appeals/{problem}/outcome", json={"outcome": "accepted"})
    assert other.status_code == 409  # only a proposal has an outcome

    reason = "Участок отведён под ливнёвку, деревья там сажать нельзя."
    done = client.post(url, json={"outcome": "declined", "reason": reason})
    assert done.status_code == 200, done.json
    record = client.get(f"/api/v1/appeals/{proposal}").json
    assert record["outcome"] == "declined" and record["outcome_reason"] == reason
    page = client.get(f"/appeals/{proposal}?lang=en").get_data(as_text=True)
    assert "Decision on the proposal" in page and "Declined" in page and reason in page
    rows = csv.DictReader(io.StringIO(client.get("/datasets/appeals.csv").data.decode()))
    assert {r["id"]: r["outcome"] for r in rows} == {proposal: "declined", problem: ""}
    staff_page = client.get(f"/staff/appeals/{proposal}?lang=en").get_data(as_text=True)
    assert "Outcome of the proposal" in staff_page


def test_demo_proposals_that_were_answered_have_an_outcome(runner):
    result = runner.invoke(args=["seed-demo", "--appeals", "600", "--seed", "4",
                                 "--today", "2026-11-22"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = db.session.execute(
        select(Appeal.outcome, Appeal.outcome_reason).where(Appeal.outcome.is_not(None))
    ).all()
    assert rows and {str(o) for o, _ in rows} <= {"accepted", "planned", "declined"}
    assert all(reason for outcome, reason in rows if outcome == "declined")
    problems = select(db.func.count()).where(
        Appeal.kind != AppealKind.PROPOSAL, Appeal.outcome.is_not(None)
    )
    assert db.session.scalar(problems) == 0
