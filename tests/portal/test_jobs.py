"""The job queue: mail leaves through it with retries, the worker runs it, periodic jobs
run on their local-time schedule, /readyz tells what waits and whether a worker runs."""

from __future__ import annotations

import logging
import os
from datetime import datetime

import pytest

from portal.jobs import JOBS, enqueue, local_cron, queue, queue_state
from tests.portal.test_concurrency import API_APPEAL


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queued_app(request, app, make_app):
    """An app whose jobs go into a real queue: the embedded SQLite one, or Redis."""
    redis_url = os.environ.get("PORTAL_TEST_REDIS_URL", "") if request.param == "redis" else ""
    queued = make_app(JOBS_IMMEDIATE=False, REDIS_URL=redis_url)
    with queued.app_context():
        assert queue().backend == request.param
        queue().huey.flush()
        yield queued


def run_next(app) -> None:
    """What a worker thread does with the next job."""
    huey = queue().huey
    huey.execute(huey.dequeue())


def test_every_job_is_registered_on_the_queue(queued_app):
    assert set(queue().tasks) == set(JOBS)


def test_receipt_mail_waits_in_the_queue_until_a_worker_sends_it(queued_app, caplog):
    caplog.set_level(logging.INFO)
    response = queued_app.test_client().post(
        "/api/v1/appeals", json={**API_APPEAL, "email": "citizen@example.kg"}
    )
    assert response.status_code == 201
    assert queue().huey.pending_count() == 1
    assert not [r for r in caplog.records if r.getMessage().startswith("mail to")]
    run_next(queued_app)
    [mail] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mail to")]
    assert response.get_json()["public_id"] in mail


def test_a_failing_mail_is_retried_later(queued_app, monkeypatch):
    from portal.mail import MailError

    attempts = []

    def flaky(to, subject, body):
        attempts.append(to)
        if len(attempts) == 1:
            raise MailError("SMTP down")

    monkeypatch.setattr("portal.mail.send_mail", flaky)
    enqueue("send_mail", "service@city.kg", "Subject", "Body")
    huey = queue().huey
    run_next(queued_app)
    assert attempts == ["service@city.kg"] and huey.pending_count() == 0
    assert huey.scheduled_count() == 1  # back in the queue after its retry delay
    [waiting] = huey.scheduled()
    assert waiting.retries == JOBS["send_mail"].retries - 1
    [retry] = huey.read_schedule(waiting.eta)  # what the worker's scheduler does then
    huey.execute(retry, timestamp=waiting.eta)
    assert attempts == ["service@city.kg"] * 2


def test_readyz_tells_whether_a_worker_runs(queued_app):
    client = queued_app.test_client()
    enqueue("send_mail", "a@city.kg", "S", "B")
    body = client.get("/readyz").get_json()
    assert body["queue"] == {"backend": queue().backend, "state": "ok", "pending": 1,
                             "worker_seen_seconds_ago": None}  # fmt: skip
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if queue().backend == "redis" else "not configured")
    JOBS["heartbeat"].func()  # what the worker's periodic job does every minute
    assert queue_state()["worker_seen_seconds_ago"] == 0


def test_schedules_are_read_in_bishkek_time():
    weekday_nine = local_cron("0 9 * * 1-5")
    assert weekday_nine(datetime(2026, 3, 2, 3, 0))  # 09:00 in Bishkek is 03:00 UTC (Monday)
    assert not weekday_nine(datetime(2026, 3, 2, 9, 0))
    assert not weekday_nine(datetime(2026, 3, 1, 3, 0))  # Sunday


def test_an_unreachable_queue_runs_the_job_here(make_app, caplog):
    app = make_app(JOBS_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:1/0")
    caplog.set_level(logging.INFO)
    with app.app_context():
        enqueue("send_mail", "a@city.kg", "Subject", "Body")
    assert any(r.getMessage().startswith("mail to a@city.kg") for r in caplog.records)
    assert any("running send_mail in this process" in r.getMessage() for r in caplog.records)


def test_worker_command_runs_the_queue(queued_app, monkeypatch):
    """`portal worker` builds a consumer of the configured queue and runs it."""
    ran = []
    monkeypatch.setattr("huey.consumer.Consumer.run", lambda self: ran.append(self.workers))
    result = queued_app.test_cli_runner().invoke(args=["worker", "--threads", "3"])
    assert result.exit_code == 0, result.output
    assert ran == [3] and f"{queue().backend} queue" in result.output
