"""Staff JSON API (/staff/api/v1): every call authorized through ensure_can (403, nothing changed), 401 for
visitors, CSRF header for writes, the same validation as the forms."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import Appeal, AppealStatus
from tests.portal.test_permissions_staff import snapshot

CALLS = [
    ("GET", "", None),
    ("POST", "/acknowledge", None),
    ("POST", "/answer", {"text": "Яма заделана бригадой сегодня."}),
    ("POST", "/status", {"status": "solved"}),
    ("POST", "/reroute", {"service": "bsk-svet", "reason": "Это освещение"}),
    ("POST", "/extend", {"days": 5, "reason": "Нужна экспертиза"}),
]
IDS = ["view", "acknowledge", "answer", "status", "reroute", "extend"]


@pytest.fixture
def appeal(make_appeal):
    return make_appeal()  # bsk-roads


def call(client, method, url, body):
    if method == "GET":
        return client.get(url)
    return client.post(url, json=body)


@pytest.mark.parametrize("who", [("service", "bsk-svet"), ("service", "osh-roads"),
                                 ("moderator", None), ("admin", None)])  # fmt: skip
@pytest.mark.parametrize(("method", "suffix", "body"), CALLS, ids=IDS)
def test_strangers_get_403_and_nothing_changes(
    client, login_as, make_staff, appeal, who, method, suffix, body
):
    login_as(make_staff(role=who[0], service=who[1]))
    before = snapshot(appeal.id)
    response = call(client, method, f"/staff/api/v1/appeals/{appeal.public_id}{suffix}", body)
    assert response.status_code == 403
    assert response.json["error"]["code"] == 403
    assert snapshot(appeal.id) == before


@pytest.mark.parametrize(("method", "suffix", "body"), CALLS, ids=IDS)
def test_visitors_get_401(client, appeal, method, suffix, body):
    before = snapshot(appeal.id)
    response = call(client, method, f"/staff/api/v1/appeals/{appeal.public_id}{suffix}", body)
    assert response.status_code == 401 and response.json["error"]["code"] == 401
    assert snapshot(appeal.id) == before


@pytest.mark.parametrize(("method", "suffix", "body"), CALLS, ids=IDS)
def test_the_owner_may_call_everything(client, login_as, make_staff, appeal, method, suffix, body):
    login_as(make_staff(role="service", service="bsk-roads"))
    response = call(client, method, f"/staff/api/v1/appeals/{appeal.public_id}{suffix}", body)
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("who", [("moderator", None), ("admin", None)])
def test_the_inbox_is_for_service_staff(client, login_as, make_staff, who):
    login_as(make_staff(role=who[0], service=who[1]))
    assert client.get("/staff/api/v1/inbox").status_code == 403


def test_the_inbox_lists_the_own_service_only(client, login_as, make_staff, make_appeal):
    mine = make_appeal()
    theirs = make_appeal(category="street_light")
    login_as(make_staff(role="service", service="bsk-roads"))
    body = client.get("/staff/api/v1/inbox").json
    assert [item["public_id"] for item in body["items"]] == [mine.public_id]
    assert theirs.public_id not in str(body)
    assert body["total"] == 1 and "workdays_left" in body["items"][0]


def test_bad_input_is_a_400_with_field_errors(client, login_as, make_staff, appeal):
    login_as(make_staff(role="service", service="bsk-roads"))
    response = client.post(
        f"/staff/api/v1/appeals/{appeal.public_id}/extend?lang=en", json={"days": 99}
    )
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"days", "reason"}
    assert client.get("/staff/api/v1/inbox?status=nope").status_code == 400


def test_a_state_conflict_is_a_409(client, login_as, make_staff, appeal):
    login_as(make_staff(role="service", service="bsk-roads"))
    assert client.post(f"/staff/api/v1/appeals/{appeal.public_id}/acknowledge").status_code == 200
    response = client.post(f"/staff/api/v1/appeals/{appeal.public_id}/acknowledge")
    assert response.status_code == 409


def test_an_answer_through_the_api(client, login_as, make_staff, appeal):
    login_as(make_staff(role="service", service="bsk-roads"))
    response = client.post(
        f"/staff/api/v1/appeals/{appeal.public_id}/answer",
        json={"text": "Яма заделана бригадой сегодня.", "internal_note": "бригада 3"},
    )
    assert response.status_code == 200 and response.json["appeal"]["status"] == "answered"
    detail = client.get(f"/staff/api/v1/appeals/{appeal.public_id}").json
    assert detail["answers"][0]["internal_note"] == "бригада 3"


def test_unknown_action_and_appeal_are_404(client, login_as, make_staff, appeal):
    login_as(make_staff(role="service", service="bsk-roads"))
    assert client.post(f"/staff/api/v1/appeals/{appeal.public_id}/delete").status_code == 404
    assert client.get("/staff/api/v1/appeals/BSK-2026-999999").status_code == 404


def test_writes_need_the_csrf_header(app, make_app, make_staff, appeal):
    user = make_staff(role="service", service="bsk-roads")
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"email": user.email, "password": "correct horse battery",
                                      "csrf_token": token})  # fmt: skip
    page = client.get("/staff/inbox").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    url = f"/staff/api/v1/appeals/{appeal.public_id}/acknowledge"
    refused = client.post(url)
    assert refused.status_code == 400 and refused.json["error"]["code"] == 400
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.PUBLISHED
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 200
    assert client.get("/staff/api/v1/inbox").status_code == 200  # reads need no token
