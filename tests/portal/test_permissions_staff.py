"""Authorization of every staff action: only the staff of the appeal's service may act.

Every refused attempt — wrong service, other city, other role, disabled account, appeal
still in moderation, forged ids in direct POSTs — is a 403 and changes nothing.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessToken,
    Answer,
    Appeal,
    AppealStatus,
    Photo,
    StaffRole,
    StaffUser,
    StatusEvent,
    Supporter,
)
from portal.services import actions as registry
from portal.services import staff_actions
from portal.services.core import Forbidden
from portal.services.permissions import can, ensure_can, roles_for

PASSWORD = "correct horse battery"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 50, 50)).save(out, "JPEG")
    return out.getvalue()


#: (name, method, url suffix, form data) of every staff action on one appeal.
ACTIONS = [
    ("view", "GET", "", None),
    ("acknowledge", "POST", "/acknowledge", {}),
    ("answer", "POST", "/answer", {"text": "Яма заделана, спасибо за обращение."}),
    ("in_progress", "POST", "/status", {"status": "in_progress"}),
    ("solved", "POST", "/status", {"status": "solved"}),
    ("not_responsible", "POST", "/status", {"status": "not_responsible"}),
    ("reroute", "POST", "/reroute", {"service": "bsk-svet", "reason": "Это освещение"}),
    ("extend", "POST", "/extend", {"days": "5", "reason": "Нужна экспертиза"}),
]


def snapshot(appeal_id: int) -> tuple:
    """Everything an action could change, to compare before and after a refusal."""
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal_id)
    columns = {c.key: getattr(appeal, c.key) for c in Appeal.__mapper__.column_attrs}
    counts = tuple(
        db.session.scalar(select(func.count()).where(model.appeal_id == appeal_id))
        for model in (StatusEvent, Answer, Photo, AccessToken)
    )
    return columns, counts


@pytest.fixture
def appeal(make_appeal):
    return make_appeal(category="pothole")  # routed to bsk-roads


@pytest.fixture
def actors(make_staff):
    """Everybody who must be refused, plus the owner."""
    inactive = make_staff(role="service", service="bsk-roads")
    inactive.active = False
    db.session.commit()
    return {
        "owner": make_staff(role="service", service="bsk-roads"),
        "other_service": make_staff(role="service", service="bsk-svet"),
        "other_city": make_staff(role="service", service="osh-roads"),
        "moderator": make_staff(role="moderator"),
        "admin": make_staff(role="admin"),
        "inactive_owner": inactive,
    }


def _call(client, method, url, data):
    if method == "GET":
        return client.get(url)
    return client.post(url, data=data)


@pytest.mark.parametrize("who", ["other_service", "other_city", "moderator", "admin"])
@pytest.mark.parametrize(("name", "method", "suffix", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_every_action_of_a_stranger_is_403_and_changes_nothing(
    client, login_as, appeal, actors, who, name, method, suffix, data
):
    login_as(actors[who])
    before = snapshot(appeal.id)
    response = _call(client, method, f"/staff/appeals/{appeal.public_id}{suffix}", data)
    assert response.status_code == 403, (who, name)
    assert snapshot(appeal.id) == before


@pytest.mark.parametrize(("name", "method", "suffix", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_a_disabled_account_cannot_act(
    client, login_as, appeal, actors, name, method, suffix, data
):
    login_as(actors["inactive_owner"])
    before = snapshot(appeal.id)
    response = _call(client, method, f"/staff/appeals/{appeal.public_id}{suffix}", data)
    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert "/staff/login" in response.headers["Location"]
    assert snapshot(appeal.id) == before


@pytest.mark.parametrize(("name", "method", "suffix", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_anonymous_visitors_are_sent_to_the_login(client, appeal, name, method, suffix, data):
    before = snapshot(appeal.id)
    response = _call(client, method, f"/staff/appeals/{appeal.public_id}{suffix}", data)
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
    assert snapshot(appeal.id) == before


@pytest.mark.parametrize(("name", "method", "suffix", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_the_owner_is_allowed_every_action(
    client, login_as, appeal, actors, name, method, suffix, data
):
    login_as(actors["owner"])
    response = _call(client, method, f"/staff/appeals/{appeal.public_id}{suffix}", data)
    assert response.status_code in (200, 302), response.get_data(as_text=True)


@pytest.mark.parametrize(("name", "method", "suffix", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_an_appeal_still_in_moderation_is_hidden_from_its_service(
    client, login_as, make_appeal, actors, name, method, suffix, data
):
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    login_as(actors["owner"])
    before = snapshot(waiting.id)
    response = _call(client, method, f"/staff/appeals/{waiting.public_id}{suffix}", data)
    assert response.status_code == 403
    assert snapshot(waiting.id) == before


def test_forged_ids_in_a_form_cannot_reach_another_service(client, login_as, make_appeal, actors):
    """The owner of appeal A posts with the id of appeal B (another service's) in the URL,
    or names B as the duplicate target: B is never changed."""
    mine = make_appeal(category="pothole")
    theirs = make_appeal(category="street_light")  # bsk-svet
    login_as(actors["owner"])
    before = snapshot(theirs.id)
    for suffix, data in [
        ("/answer", {"text": "Подделанный ответ на чужое обращение."}),
        ("/status", {"status": "solved"}),
        ("/reroute", {"service": "bsk-roads", "reason": "Забираю себе"}),
        ("/extend", {"days": "30", "reason": "Продлеваю чужое"}),
    ]:
        assert (
            client.post(f"/staff/appeals/{theirs.public_id}{suffix}", data=data).status_code == 403
        )
    assert snapshot(theirs.id) == before
    # Marking my appeal as a duplicate of theirs changes nothing of theirs but its count of
    # supporters (my appeal's author joins them) and so the time its record last changed.
    response = client.post(
        f"/staff/appeals/{mine.public_id}/status",
        data={"status": "duplicate", "duplicate_of": theirs.public_id},
    )
    assert response.status_code == 302
    (columns, counts), (columns_before, counts_before) = snapshot(theirs.id), before
    assert counts == counts_before
    columns.pop("updated_at"), columns_before.pop("updated_at")
    assert columns == columns_before
    supporters = select(func.count(Supporter.id)).where(Supporter.appeal_id == theirs.id)
    assert db.session.scalar(supporters) == 1


def test_unknown_appeal_is_404(client, login_as, actors):
    login_as(actors["owner"])
    assert client.get("/staff/appeals/BSK-2026-999999").status_code == 404
    assert client.post("/staff/appeals/BSK-2026-999999/acknowledge").status_code == 404


def test_after_a_reroute_the_former_service_loses_access(client, login_as, appeal, actors):
    login_as(actors["owner"])
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/reroute",
        data={"service": "bsk-svet", "reason": "Это уличное освещение"},
    )
    assert response.status_code == 302
    assert client.get(f"/staff/appeals/{appeal.public_id}").status_code == 403
    login_as(actors["other_service"])
    assert client.get(f"/staff/appeals/{appeal.public_id}").status_code == 200


def test_photos_are_shown_only_to_the_appeals_service(client, login_as, appeal, actors):
    staff_actions.answer(actors["owner"], appeal.public_id, text="Готово, см. фото.", photo=_jpeg())
    photo_id = db.session.scalars(select(Photo.public_id)).one()
    for who in ("other_service", "other_city", "moderator"):
        login_as(actors[who])
        assert client.get(f"/staff/photos/{photo_id}").status_code == 403
    login_as(actors["owner"])
    response = client.get(f"/staff/photos/{photo_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"


@pytest.mark.parametrize("who", ["moderator", "admin"])
def test_only_service_staff_have_an_inbox(client, login_as, actors, who):
    login_as(actors[who])
    assert client.get("/staff/inbox").status_code == 403


def test_inbox_lists_only_the_users_own_service(client, login_as, make_appeal, actors):
    mine = make_appeal(category="pothole")
    theirs = make_appeal(category="street_light")
    osh = make_appeal(city="osh", category="pothole", lat=40.53, lon=72.80)
    login_as(actors["owner"])
    page = client.get("/staff/inbox").get_data(as_text=True)
    assert mine.public_id in page
    assert theirs.public_id not in page and osh.public_id not in page
    # Asking for another service's appeal by number finds nothing either.
    page = client.get(f"/staff/inbox?public_id={theirs.public_id}").get_data(as_text=True)
    assert f"/staff/appeals/{theirs.public_id}" not in page


ADMIN_URLS = [
    ("GET", "/staff/admin/", None),
    ("GET", "/staff/admin/services/new", None),
    ("POST", "/staff/admin/services/new",
     {"code": "bsk-new", "city": "bishkek", "name_ru": "Н", "name_ky": "Н", "name_en": "N"}),
    ("GET", "/staff/admin/services/1", None),
    ("POST", "/staff/admin/services/1", {"name_ru": "X", "name_ky": "X", "name_en": "X"}),
    ("GET", "/staff/admin/categories/1", None),
    ("POST", "/staff/admin/categories/1",
     {"name_ru": "X", "name_ky": "X", "name_en": "X", "default_service": "bsk-roads",
      "privacy_tier": "public"}),
    ("GET", "/staff/admin/staff/new", None),
    ("POST", "/staff/admin/staff/new",
     {"email": "evil@x.kg", "name": "Evil", "role": "admin", "password": "0123456789ab",
      "active": "1"}),
    ("POST", "/staff/admin/staff/1", {"email": "x@x.kg", "name": "X", "role": "admin"}),
]  # fmt: skip


@pytest.mark.parametrize("who", ["owner", "other_service", "moderator"])
@pytest.mark.parametrize(("method", "url", "data"), ADMIN_URLS)
def test_administration_is_for_admins_only(client, login_as, actors, who, method, url, data):
    login_as(actors[who])
    staff_before = db.session.scalar(select(func.count()).select_from(StaffUser))
    response = _call(client, method, url, data)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == staff_before
    assert db.session.get(StaffUser, 1).role is not StaffRole.ADMIN or who == "admin"


def test_the_permission_table_covers_every_service_action(appeal, actors):
    """The single authorization function: every appeal action, every role; who may act is
    what the registry declares."""
    appeal_actions = {action.name for action in registry.on(registry.APPEAL)}
    assert {"acknowledge", "answer", "set_status", "reroute", "extend_deadline"} <= appeal_actions
    for action in appeal_actions | {"view_appeal", "work_appeal"}:
        assert roles_for(action) == frozenset({StaffRole.SERVICE})
        assert can(actors["owner"], action, appeal)
        assert not can(actors["owner"], action)  # an appeal action needs the appeal
        for who in ("other_service", "other_city", "moderator", "admin", "inactive_owner"):
            assert not can(actors[who], action, appeal), (who, action)
    assert not can(None, "answer", appeal)
    assert not can(actors["owner"], "no-such-action", appeal)
    with pytest.raises(Forbidden):
        ensure_can(actors["moderator"], "administer")
    for action in registry.on(registry.SUBMISSION) + registry.on(registry.HELD_TEXT):
        assert roles_for(action.name) == roles_for("moderate")
        assert can(actors["moderator"], action.name) and can(actors["admin"], action.name)
        assert not can(actors["owner"], action.name)


@pytest.mark.parametrize(
    ("use_case", "kwargs"),
    [
        (staff_actions.acknowledge, {}),
        (staff_actions.answer, {"text": "Ответ от чужой службы."}),
        (staff_actions.set_status, {"status": "solved"}),
        (staff_actions.reroute, {"service_code": "bsk-svet", "reason": "Чужое"}),
        (staff_actions.extend_deadline, {"days": 3, "reason": "Чужое"}),
    ],
)
def test_use_cases_refuse_strangers_themselves(appeal, actors, use_case, kwargs):
    """Not only the views: the service layer itself refuses (for any future API)."""
    before = snapshot(appeal.id)
    for who in ("other_service", "other_city", "moderator", "admin"):
        with pytest.raises(Forbidden):
            use_case(actors[who], appeal.public_id, **kwargs)
    assert snapshot(appeal.id) == before
