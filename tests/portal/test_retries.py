"""Retried submissions are safe: Idempotency-Key on the API and Open311, a one-time token
on the web form. Same request again → the same appeal and answer; another request with
the same key → refused, nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AccessToken, Appeal, IdempotencyKey
from portal.services.idempotency import purge_expired
from tests.portal.test_concurrency import API_APPEAL
from tests.portal.test_open311_post import KEY, VALID, keyed_app, keyed_client  # noqa: F401
from tests.portal.test_open311_schemas import BASE
from tests.portal.test_submission import form


def appeal_count() -> int:
    return db.session.scalar(select(func.count(Appeal.id)))


def test_api_retry_with_the_same_key_returns_the_first_answer(client):
    headers = {"Idempotency-Key": "6f1c9a52-retry"}
    first = client.post("/api/v1/appeals", json=API_APPEAL, headers=headers)
    again = client.post("/api/v1/appeals", json=API_APPEAL, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert appeal_count() == 1
    # The repeated tracking link works: it is the stored one.
    assert client.get(f"/api/v1/track/{again.get_json()['tracking_token']}").status_code == 200


def test_api_without_a_key_stores_each_submission(client):
    client.post("/api/v1/appeals", json=API_APPEAL)
    client.post("/api/v1/appeals", json=API_APPEAL)
    assert appeal_count() == 2


def test_same_key_for_another_request_is_refused_and_stores_nothing(client):
    headers = {"Idempotency-Key": "key-used-twice"}
    assert client.post("/api/v1/appeals", json=API_APPEAL, headers=headers).status_code == 201
    other = {**API_APPEAL, "description": "Другая проблема: не горит фонарь во дворе дома."}
    refused = client.post("/api/v1/appeals", json=other, headers=headers)
    assert refused.status_code == 422
    assert "idempotency_key" in refused.get_json()["errors"]
    assert appeal_count() == 1


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "ключ"])
def test_malformed_keys_are_a_400(client, key):
    response = client.post("/api/v1/appeals", json=API_APPEAL, headers={"Idempotency-Key": key})
    if key == "":
        assert response.status_code == 201  # an empty header is no key
        return
    assert response.status_code == 400
    assert "idempotency_key" in response.get_json()["errors"]
    assert appeal_count() == 0


def test_keys_of_different_clients_do_not_meet(keyed_client):  # noqa: F811
    headers = {"Idempotency-Key": "same-key"}
    assert keyed_client.post("/api/v1/appeals", json=API_APPEAL, headers=headers).status_code == 201
    posted = keyed_client.post(f"{BASE}/requests.json", data=VALID, headers=headers)
    assert posted.status_code == 201
    assert appeal_count() == 2


def test_open311_retry_returns_the_same_request(keyed_client):  # noqa: F811
    headers = {"Idempotency-Key": "open311-retry-1"}
    first = keyed_client.post(f"{BASE}/requests.json", data=VALID, headers=headers)
    again = keyed_client.post(f"{BASE}/requests.json", data=VALID, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert appeal_count() == 1


def tracking_path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def one_time_token(client) -> str:
    page = client.get("/appeals/new").get_data(as_text=True)
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def test_the_web_form_sent_twice_stores_one_appeal(client):
    token = one_time_token(client)
    assert token != one_time_token(client)  # every form gets its own
    first = client.post("/appeals/new", data=form(form_token=token))
    again = client.post("/appeals/new", data=form(form_token=token))
    assert first.status_code == again.status_code == 302
    assert tracking_path(first) == tracking_path(again)
    assert appeal_count() == 1
    assert db.session.scalar(select(func.count(AccessToken.id))) == 1


def test_a_used_form_token_with_other_content_gets_a_fresh_form(client):
    token = one_time_token(client)
    client.post("/appeals/new", data=form(form_token=token))
    other = form(form_token=token, description="Во дворе не горит фонарь уже вторую неделю.")
    response = client.post("/appeals/new?lang=en", data=other)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has already been sent" in page
    assert token not in page  # a new one-time token
    assert appeal_count() == 1


def test_old_keys_are_purged(app, client):
    client.post("/api/v1/appeals", json=API_APPEAL, headers={"Idempotency-Key": "old-key-1"})
    client.post("/api/v1/appeals", json=API_APPEAL, headers={"Idempotency-Key": "new-key-2"})
    stored = db.session.scalars(select(IdempotencyKey)).all()
    stored[0].created_at -= timedelta(hours=app.config["IDEMPOTENCY_TTL_HOURS"] + 1)
    db.session.commit()
    assert purge_expired() == 1
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
