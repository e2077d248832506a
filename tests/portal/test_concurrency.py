"""Concurrent requests on real threads, on SQLite and on PostgreSQL: nothing lost, nothing
doubled — public ids, reopening, retried submissions."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appeal, EventKind, IdempotencyKey, StatusEvent
from portal.services.core import allocate_public_ids, transaction
from tests.portal.test_rating import BAD, answer_as_service, submitted  # noqa: F401 (fixtures)

PARALLEL = 8
API_APPEAL = {
    "city": "bishkek",
    "category": "pothole",
    "description": "Глубокая яма на дороге возле остановки, машины объезжают по встречке.",
    "lat": 42.8746,
    "lon": 74.6122,
    "consent": True,
}


def in_parallel(app, work, count: int = PARALLEL) -> list:
    """Run ``work(i)`` on ``count`` threads released together, each in its own app context."""
    barrier = threading.Barrier(count)

    def run(index: int):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                return work(index)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_first_ids_of_a_new_year_never_race(app):
    def allocate(_):
        with transaction():
            return allocate_public_ids("BSK", 2099)[0]

    ids = in_parallel(app, allocate)
    assert sorted(ids) == [f"BSK-2099-{n:06d}" for n in range(1, PARALLEL + 1)]


def test_first_submissions_of_a_city_all_succeed_with_distinct_ids(app):
    def submit(_):
        response = app.test_client().post("/api/v1/appeals", json=API_APPEAL)
        return response.status_code, (response.get_json() or {}).get("public_id")

    results = in_parallel(app, submit)
    assert [status for status, _ in results] == [201] * PARALLEL
    numbers = sorted(int(public_id.rsplit("-", 1)[1]) for _, public_id in results)
    assert numbers == list(range(1, PARALLEL + 1))


def test_parallel_reopen_requests_reopen_once(app, client, submitted, answer_as_service):  # noqa: F811
    appeal, token = submitted
    answer_as_service(appeal)
    assert client.post(f"/t/{token}/rate", data=BAD).status_code == 302
    appeal_id = appeal.id
    db.session.remove()

    def reopen(_):
        return app.test_client().post(f"/api/v1/track/{token}/reopen").status_code

    statuses = in_parallel(app, reopen)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    reopened = db.session.scalar(
        select(func.count()).where(
            StatusEvent.appeal_id == appeal_id, StatusEvent.kind == EventKind.REOPENED
        )
    )
    assert reopened == 1
    assert db.session.get(Appeal, appeal_id).reopen_count == 1


def test_simultaneous_retries_with_one_key_store_one_appeal(app):
    def submit(_):
        response = app.test_client().post(
            "/api/v1/appeals", json=API_APPEAL, headers={"Idempotency-Key": "retry-42"}
        )
        body = response.get_json()
        return response.status_code, body["public_id"], body["tracking_token"]

    results = in_parallel(app, submit)
    assert {status for status, _, _ in results} == {201}
    assert len({(public_id, token) for _, public_id, token in results}) == 1
    assert db.session.scalar(select(func.count(Appeal.id))) == 1
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
