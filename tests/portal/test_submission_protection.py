"""Protection of the appeal form: CSRF, rate limits (memory and Redis), honeypot."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appeal
from tests.portal.test_submission import api_body, form


def unique_client(app):
    """A test client with an address of its own: limits are counted per client address, and
    the limiter's storage (Redis) may be shared with other test runs."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = (
        f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    )
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def appeals() -> int:
    return db.session.scalar(select(func.count()).select_from(Appeal))


def csrf_token(client) -> str:
    page = client.get("/appeals/new").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_form_without_csrf_token_is_refused_and_stores_nothing(app, make_app):
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    with protected.app_context():
        response = client.post("/appeals/new", data=form(), headers={"Accept-Language": "en"})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "The form has expired." in page
        assert "машины объезжают по встречной полосе" in page  # what was typed is kept
        assert appeals() == 0
        response = client.post("/appeals/new", data={**form(), "csrf_token": "forged"})
        assert response.status_code == 400
        assert appeals() == 0
        response = client.post("/appeals/new", data={**form(), "csrf_token": csrf_token(client)})
        assert response.status_code == 302
        assert appeals() == 1


def test_rating_form_needs_a_csrf_token_too(app, make_app, make_appeal, make_answer):
    from portal.models import AppealStatus, Rating
    from portal.services.tokens import TokenPurpose, issue_token

    appeal = make_appeal(status=AppealStatus.PUBLISHED)
    make_answer(appeal)
    token = issue_token(appeal, TokenPurpose.TRACK)
    db.session.commit()
    protected = make_app(WTF_CSRF_ENABLED=True)
    with protected.app_context():
        response = protected.test_client().post(
            f"/t/{token}/rate", data={"score": "5", "solved": "yes"}
        )
        assert response.status_code == 400
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 0


def test_json_api_is_not_subject_to_csrf_but_to_the_rate_limit(app, make_app):
    limited = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="1/minute")
    client = unique_client(limited)
    with limited.app_context():
        assert client.post("/api/v1/appeals", json=api_body()).status_code == 201
        response = client.post("/api/v1/appeals", json=api_body())
        assert response.status_code == 429
        assert response.json["error"]["code"] == 429
        assert appeals() == 1


def test_rate_limit_refuses_the_client_after_the_limit(app, make_app):
    limited = make_app(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="2 per minute")
    client = unique_client(limited)
    with limited.app_context():
        assert client.post("/appeals/new", data=form()).status_code == 302
        assert client.post("/appeals/new", data=form(description="x")).status_code == 400
        response = client.post("/appeals/new", data=form())
        assert response.status_code == 429
        assert "Too many requests" in response.get_data(as_text=True)
        assert appeals() == 1
        # The form page itself and other clients are not limited.
        assert client.get("/appeals/new").status_code == 200
        other = unique_client(limited)
        assert other.post("/appeals/new", data=form()).status_code == 302


@pytest.mark.redis
def test_rate_limit_holds_across_workers_through_redis(app, make_app):
    """Two app instances (two workers) sharing Redis count the same client together."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings = {
        "RATELIMIT_ENABLED": True,
        "SUBMIT_RATE_LIMIT": "2 per minute",
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    first, second = make_app(**settings), make_app(**settings)
    assert first.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    address = unique_client(first).environ_base["REMOTE_ADDR"]
    clients = []
    for worker in (first, second):
        client = worker.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        clients.append(client)
    with first.app_context():
        assert clients[0].post("/appeals/new", data=form()).status_code == 302
    with second.app_context():
        assert clients[1].post("/appeals/new", data=form()).status_code == 302
        assert clients[1].post("/appeals/new", data=form()).status_code == 429
    with first.app_context():
        assert clients[0].post("/appeals/new", data=form()).status_code == 429
        assert appeals() == 2
    # The counter lives in Redis, where every worker process (and host) reads it.
    import redis

    from tests.conftest import REDIS_URL

    assert redis.Redis.from_url(REDIS_URL).keys(f"*{address}*")


def test_honeypot_refuses_bots_silently_filling_every_field(client):
    response = client.post("/appeals/new", data=form(website="http://cheap-pills.example"))
    assert response.status_code == 400
    assert appeals() == 0
    api = client.post("/api/v1/appeals", json={**api_body(), "website": "x"})
    assert api.status_code == 400 and "website" in api.json["errors"]
    assert appeals() == 0
