"""Duplicates: suggestions on the form (GET /api/v1/appeals/nearby), staff closing an
appeal as a duplicate (its supporters and author count for the original), the inbox sorted
by supporters, and performance figures that a duplicate does not distort."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from opendata.schema import APPEALS
from portal.extensions import db
from portal.models import Appeal, AppealStatus, Supporter, utcnow
from portal.queries import performance as perf
from portal.queries.nearby import DUPLICATE_RADIUS_M, distance_m
from portal.services import staff_actions
from portal.services.core import Conflict, Forbidden, ServiceError
from portal.services.support import add_supporter
from tests.portal.test_concurrency import in_parallel
from tests.portal.test_support_mail import (
    RESIDENT,
    ask,
    mailbox,  # noqa: F401 - a fixture
    mails_to,
    token_of,
)

SENTINEL_TEXT = "SENTINEL-RAW-Иван-Петров-+996555123456"
SENTINEL_MAIL = "sentinel-nearby@example.org"


def nearby(client, appeal: Appeal, **changes):
    args = {"city": "bishkek", "category": "pothole", "lat": appeal.public_lat,
            "lon": appeal.public_lon} | changes  # fmt: skip
    return client.get("/api/v1/appeals/nearby", query_string=args)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json["appeals"]]


def supporters(appeal: Appeal) -> int:
    query = select(func.count(Supporter.id)).where(Supporter.appeal_id == appeal.id)
    return db.session.scalar(query)


@pytest.fixture
def owner(make_staff):
    return make_staff(role="service", service="bsk-roads")


# --- Suggestions ---------------------------------------------------------------------------


def test_nearby_lists_open_recent_appeals_of_the_category_nearest_first(client, make_appeal):
    here = make_appeal()
    other_category = make_appeal(category="street_light")
    far = make_appeal(lat=42.8846, lon=74.6122)  # ~1.1 km north
    old = make_appeal(submitted_at=utcnow() - timedelta(days=61))
    closed = make_appeal(status=AppealStatus.CLOSED)
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    found = ids(nearby(client, here))
    assert here.public_id in found
    for hidden in (other_category, far, old, closed, waiting):
        assert hidden.public_id not in found
    response = nearby(client, here)
    assert response.json["radius_m"] == DUPLICATE_RADIUS_M == 150
    assert response.json["window_days"] == 60
    distances = [item["distance_m"] for item in response.json["appeals"]]
    assert distances == sorted(distances) and all(d <= 150 for d in distances)
    first = response.json["appeals"][0]
    assert first["links"]["support"].endswith(f"/appeals/{first['id']}/support")


def test_the_radius_is_measured_from_the_published_point(client, make_appeal):
    appeal = make_appeal()
    lat = appeal.public_lat + 0.0012  # ~133 m north of the published point
    assert 120 < distance_m(appeal.public_lat, appeal.public_lon, lat, appeal.public_lon) < 150
    assert appeal.public_id in ids(nearby(client, appeal, lat=lat))
    assert appeal.public_id not in ids(nearby(client, appeal, lat=appeal.public_lat + 0.0016))


def test_nearby_publishes_only_public_record_fields(client, make_appeal):
    appeal = make_appeal(
        text=SENTINEL_TEXT + " яма на дороге", public_text="Яма на дороге [ИМЯ] [ТЕЛЕФОН]",
        contact={"email": SENTINEL_MAIL, "name": "Иван Петров"},
    )  # fmt: skip
    response = nearby(client, appeal)
    body = response.get_data(as_text=True)
    assert SENTINEL_TEXT not in body and SENTINEL_MAIL not in body and "Иван" not in body
    assert str(appeal.private.lat) not in body or appeal.private.lat == appeal.public_lat
    item = response.json["appeals"][0]
    assert set(item) == {*APPEALS.names, "overdue", "links", "distance_m"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"city": "bishkek", "category": "pothole", "lat": "42.87"}, "lon"),
        ({"city": "bishkek", "lat": "42.87", "lon": "74.6"}, "category"),
        ({"city": "bishkek", "category": "pothole", "lat": "nan", "lon": "74.6"}, "lat"),
        ({"city": "bishkek", "category": "pothole", "lat": "91", "lon": "74.6"}, "lat"),
        ({"city": "bishkek", "category": "pothole", "lat": "42.8", "lon": "east"}, "lon"),
        ({"city": "BIS KEK", "category": "pothole", "lat": "42.8", "lon": "74.6"}, "city"),
        (
            {
                "city": "bishkek",
                "category": "pothole",
                "lat": "42.8",
                "lon": "74.6",
                "radius": "5000",
            },
            "radius",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, args, field):
    response = client.get("/api/v1/appeals/nearby", query_string=args)
    assert response.status_code == 400
    assert field in response.json["errors"]


def test_bad_input_is_translated(client):
    response = client.get(
        "/api/v1/appeals/nearby?city=bishkek&category=pothole&lat=x&lon=1&lang=ru"
    )
    assert response.status_code == 400
    assert re.search("[а-я]", response.json["errors"]["lat"][0])


def test_the_form_carries_the_suggestions_box_in_three_languages(client):
    for lang, title in (("en", "Already reported nearby?"), ("ru", "Уже сообщили рядом?"),
                        ("ky", "Жакын жерде кабарлашканбы?")):  # fmt: skip
        page = client.get(f"/appeals/new?lang={lang}").get_data(as_text=True)
        assert title in page
        assert 'id="nearby-status" role="status" aria-live="polite"' in page
        assert "/api/v1/appeals/nearby" in page


# --- Staff: close as a duplicate -------------------------------------------------------------


def support_from(app, appeal: Appeal, n: int, prefix: str = "b") -> None:
    for i in range(n):
        add_supporter(appeal.public_id, f"{prefix}{i:040d}")


def test_a_duplicate_s_supporters_and_author_count_for_the_original(
    app, client, make_appeal, owner
):
    original = make_appeal()
    duplicate = make_appeal()
    support_from(app, original, 2)  # b0, b1
    support_from(app, duplicate, 3)  # b0 (already counted for the original), b1, b2
    staff_actions.set_status(
        owner, duplicate.public_id, status="duplicate", duplicate_of=original.public_id
    )
    # 2 own + b2 from the duplicate + its author; b0 and b1 are not counted twice
    assert client.get(f"/api/v1/appeals/{original.public_id}").json["supporters"] == 4
    record = client.get(f"/api/v1/appeals/{duplicate.public_id}").json
    assert record["supporters"] == 0 and record["duplicate_of"] == original.public_id
    assert record["status"] == "closed" and record["resolution"] == "duplicate"
    page = client.get(f"/appeals/{duplicate.public_id}?lang=en").get_data(as_text=True)
    assert f'href="/appeals/{original.public_id}"' in page
    assert "This appeal duplicates an earlier one" in page
    assert client.get(f"/api/v1/appeals/{original.public_id}").json["duplicate_of"] is None


def test_the_staff_form_marks_a_duplicate(client, login_as, make_appeal, owner):
    original, duplicate = make_appeal(), make_appeal()
    login_as(owner)
    response = client.post(
        f"/staff/appeals/{duplicate.public_id}/status",
        data={"status": "duplicate", "duplicate_of": original.public_id},
    )
    assert response.status_code in (200, 302, 303)
    assert supporters(original) == 1  # the duplicate's author


def test_wrong_role_and_other_service_are_refused(make_appeal, make_staff):
    original, duplicate = make_appeal(), make_appeal()
    for user in (make_staff(role="moderator"), make_staff(role="service", service="bsk-svet")):
        with pytest.raises(Forbidden):
            staff_actions.set_status(
                user, duplicate.public_id, status="duplicate", duplicate_of=original.public_id
            )
    assert supporters(original) == 0
    assert db.session.get(Appeal, duplicate.id).duplicate_of_id is None


def test_wrong_state_is_refused(make_appeal, owner):
    original, duplicate, third = make_appeal(), make_appeal(), make_appeal()
    staff_actions.set_status(owner, duplicate.public_id, status="solved")
    with pytest.raises(Conflict):
        staff_actions.set_status(
            owner, duplicate.public_id, status="duplicate", duplicate_of=original.public_id
        )
    staff_actions.set_status(owner, third.public_id, status="duplicate",
                             duplicate_of=original.public_id)  # fmt: skip
    fourth = make_appeal()
    with pytest.raises(ServiceError) as refused:  # a duplicate is no original
        staff_actions.set_status(
            owner, fourth.public_id, status="duplicate", duplicate_of=third.public_id
        )
    assert "duplicate_of" in refused.value.errors
    assert supporters(original) == 1  # only third's author


def test_no_support_reaches_a_closed_duplicate(app, make_appeal, owner):
    original, duplicate = make_appeal(), make_appeal()
    staff_actions.set_status(
        owner, duplicate.public_id, status="duplicate", duplicate_of=original.public_id
    )
    with pytest.raises(Conflict):
        add_supporter(duplicate.public_id, "z" * 40)
    assert supporters(duplicate) == 0


@pytest.mark.usefixtures("mailbox")
def test_a_mailed_support_confirmed_after_the_duplicate_mark_counts_for_the_original(
    client, make_appeal, owner
):
    original, duplicate = make_appeal(), make_appeal()
    ask(client, duplicate.public_id)
    staff_actions.set_status(
        owner, duplicate.public_id, status="duplicate", duplicate_of=original.public_id
    )
    assert supporters(original) == 1  # the duplicate's author
    token = token_of(mails_to(RESIDENT)[0])
    response = client.post(f"/support/confirm/{token}?lang=en")
    assert response.status_code == 200
    assert f"/appeals/{original.public_id}" in response.get_data(as_text=True)
    assert supporters(original) == 2 and supporters(duplicate) == 0
    assert client.post(f"/support/confirm/{token}?lang=en").status_code == 400  # used


def test_supports_racing_the_duplicate_mark_are_counted_once(app, make_appeal, owner):
    """Residents support both appeals while staff close one as a duplicate: every
    browser ends up counted exactly once, on the original (threads; row locks on PG)."""
    original, duplicate = make_appeal(), make_appeal()
    ids_ = (original.public_id, duplicate.public_id)
    owner_id = owner.id

    def work(n: int):
        if n == 0:
            from portal.models import StaffUser

            user = db.session.get(StaffUser, owner_id)
            staff_actions.set_status(user, ids_[1], status="duplicate", duplicate_of=ids_[0])
            return "closed"
        for i in range(4):
            browser = f"t{n}-{i:036d}"
            try:
                add_supporter(ids_[(n + i) % 2], browser)
            except Conflict:  # the duplicate was closed meanwhile: join the original
                add_supporter(ids_[0], browser)
        return "supported"

    assert sorted(in_parallel(app, work, count=5)) == ["closed"] + ["supported"] * 4
    db.session.expire_all()
    rows = db.session.execute(select(Supporter.appeal_id, Supporter.browser_hash)).all()
    assert {appeal_id for appeal_id, _ in rows} == {original.id}
    assert len(rows) == len({key for _, key in rows}) == 4 * 4 + 1  # + the author


def test_two_appeals_marked_duplicates_of_each_other_at_once_end_with_one_original(
    app, make_appeal, owner
):
    """Staff mark A a duplicate of B while a colleague marks B one of A: one mark wins,
    the other is refused as a duplicate of a duplicate (not a deadlock, not a 500)."""
    first, second = make_appeal(), make_appeal()
    pair, owner_id = (first.public_id, second.public_id), owner.id

    def mark(n: int) -> str:
        from portal.models import StaffUser

        user = db.session.get(StaffUser, owner_id)
        try:
            staff_actions.set_status(user, pair[n], status="duplicate", duplicate_of=pair[1 - n])
        except ServiceError as refused:
            return f"refused {refused.status_code}"
        return "marked"

    for _ in range(3):  # the deadlock needed an unlucky interleaving
        outcomes = in_parallel(app, mark, count=2)
        assert sorted(outcomes) in (["marked", "refused 400"], ["marked", "refused 409"])
        db.session.expire_all()
        marks = select(Appeal.duplicate_of_id).where(Appeal.public_id.in_(pair))
        assert db.session.scalars(marks).all().count(None) == 1  # one closed, one original
        first, second = make_appeal(), make_appeal()
        pair = (first.public_id, second.public_id)


# --- Performance -------------------------------------------------------------------------------


def test_a_duplicate_is_never_late_or_overdue(app, make_appeal, owner):
    submitted = utcnow() - timedelta(days=50)
    appeals = [make_appeal(submitted_at=submitted + timedelta(minutes=i)) for i in range(6)]
    day = submitted.date()
    start, end = date(day.year, day.month, 1), day + timedelta(days=2)

    def roads():
        db.session.expire_all()
        return next(r for r in perf.performance_rows("service", start, end)
                    if r.service == "bsk-roads")  # fmt: skip

    before = roads()
    assert (before.received, before.overdue_open, before.deadline_known) == (6, 6, 6)
    staff_actions.set_status(
        owner, appeals[1].public_id, status="duplicate", duplicate_of=appeals[0].public_id
    )
    after = roads()
    assert after.received == 6  # it was received
    assert (after.overdue_open, after.deadline_known) == (5, 5)  # but is not late


def test_the_about_page_says_how_supporters_and_duplicates_count(client):
    for lang, phrase in (("en", "closed as a duplicate"), ("ru", "закрытое как повторное"),
                         ("ky", "Кайталанма катары жабылган")):  # fmt: skip
        page = client.get(f"/performance/about?lang={lang}").get_data(as_text=True)
        assert phrase in page


# --- Inbox ---------------------------------------------------------------------------------


def test_the_inbox_sorts_by_supporters(app, client, login_as, make_appeal, owner):
    few, many, none = make_appeal(), make_appeal(), make_appeal()
    support_from(app, few, 1, "f")
    support_from(app, many, 3, "m")
    login_as(owner)
    page = client.get("/staff/inbox?sort=supporters").get_data(as_text=True)
    order = re.findall(r'href="/staff/appeals/(BSK-\d{4}-\d{6})"', page)
    assert order == [many.public_id, few.public_id, none.public_id]
    assert client.get("/staff/inbox?sort=votes").status_code == 400
    default = client.get("/staff/inbox").get_data(as_text=True)
    assert re.findall(r'href="/staff/appeals/(BSK-\d{4}-\d{6})"', default)[0] == few.public_id


def test_the_staff_api_inbox_sorts_by_supporters(app, client, login_as, make_appeal, owner):
    few, many = make_appeal(), make_appeal()
    support_from(app, few, 1, "f")
    support_from(app, many, 2, "m")
    login_as(owner)
    items = client.get("/staff/api/v1/inbox?sort=supporters").json["items"]
    assert [(i["public_id"], i["supporters"]) for i in items] == [
        (many.public_id, 2),
        (few.public_id, 1),
    ]
    assert client.get("/staff/api/v1/inbox?sort=most").status_code == 400
