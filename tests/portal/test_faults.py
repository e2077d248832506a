"""Degrade, don't fail: Redis stopped or frozen, the database unreachable, a bug — and the
rate limits of several workers without Redis."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.logs import OneLineFormatter
from portal.models import Appeal
from tests.portal.test_cli import _free_port
from tests.portal.test_concurrency import API_APPEAL
from tests.portal.test_serving import clean_env, wait_for

WITH_MAIL = {**API_APPEAL, "email": "citizen@example.kg"}


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test, on a free loopback port: (url, process)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", process
    process.send_signal(signal.SIGCONT)
    process.kill()
    process.wait()


@contextmanager
def frozen(process):
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


def submit_all(client, count: int) -> list[str]:
    """Submit ``count`` appeals; every one must be acknowledged (201), quickly enough."""
    acknowledged = []
    for number in range(count):
        started = time.monotonic()
        response = client.post(
            "/api/v1/appeals",
            json=WITH_MAIL,
            headers={"Idempotency-Key": f"k-{time.time()}-{number}"},
        )
        assert response.status_code == 201, response.data
        assert time.monotonic() - started < 5  # bounded timeouts, not a hang
        acknowledged.append(response.get_json()["public_id"])
    return acknowledged


def test_submissions_survive_redis_stopped_and_frozen(app, make_app, own_redis, caplog):
    url, redis_process = own_redis  # ``app`` prepared the (empty) database
    app = make_app(REDIS_URL=url, RATELIMIT_ENABLED=True, JOBS_IMMEDIATE=False,
                   SUBMIT_RATE_LIMIT="1000 per hour")  # fmt: skip
    caplog.set_level(logging.INFO)
    client = app.test_client()
    acknowledged = submit_all(client, 2)  # Redis up: mails are queued in Redis
    with frozen(redis_process):  # SIGSTOP: connections hang until the timeout
        acknowledged += submit_all(client, 3)
        assert client.get("/appeals").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.get_json()["redis"] == "down"
        assert ready.get_json()["status"] == "degraded"
    redis_process.kill()  # stopped for good
    redis_process.wait()
    acknowledged += submit_all(client, 3)
    assert client.get("/appeals").status_code == 200
    with app.app_context():
        stored = list(db.session.scalars(select(Appeal.public_id)))
    assert sorted(stored) == sorted(acknowledged)  # nothing lost, nothing twice
    assert len(set(stored)) == len(stored) == 8
    # Without a queue the receipts were sent at once, in the request.
    sent = [r for r in caplog.records if r.getMessage().startswith("mail to citizen@example.kg")]
    assert len(sent) == 6


def test_database_down_is_a_503_with_retry_after(make_app):
    app = make_app(TESTING=False, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    client = app.test_client()
    page = client.get("/appeals?lang=en")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == str(app.config["DATABASE_RETRY_AFTER"])
    assert "briefly unavailable" in page.get_data(as_text=True)
    api = client.get("/api/v1/appeals")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["database"] == "down"
    assert client.get("/healthz").status_code == 200  # the process itself is alive


def test_a_bug_is_logged_with_the_request_id_the_page_shows(make_app, caplog):
    app = make_app(TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom?lang=en", headers={"X-Request-ID": "req-1234abcd"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-1234abcd"
    assert "req-1234abcd" in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert record.request_id == "req-1234abcd" and record.exc_info[0] is RuntimeError
    line = OneLineFormatter("json").format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "req-1234abcd" and "RuntimeError: a bug" in entry["exception"]
    assert entry["http"] == "GET /boom"


def test_a_forged_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": 'bad id {"json": 1}'})
    assert response.headers["X-Request-ID"] != 'bad id {"json": 1}'
    assert len(response.headers["X-Request-ID"]) == 32


def test_rate_limits_hold_across_gunicorn_workers_without_redis(tmp_path):
    """Each worker used to count for itself: "3 per hour" let 6 through with 2 workers."""
    if shutil.which("gunicorn") is None:
        pytest.skip("gunicorn is not installed")
    database = f"sqlite:///{tmp_path}/limits.db"
    environment = clean_env(
        PORTAL_DATABASE_URL=database, PORTAL_SECRET_KEY="secret-for-two-workers-0123456789",
        PORTAL_SUBMIT_RATE_LIMIT="3 per hour", PORTAL_RATE_LIMIT_DB=str(tmp_path / "rl.db"),
        PORTAL_CACHE_DIR=str(tmp_path / "cache"),
        PORTAL_JOBS_DB=str(tmp_path / "jobs.db"),
    )  # fmt: skip
    subprocess.run([sys.executable, "-c", "from portal.cli import main; main()", "init-db"],
                   env=environment, check=True, capture_output=True)  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [shutil.which("gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--reuse-port", "portal.wsgi:app"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        statuses = [post_json(f"http://127.0.0.1:{port}/api/v1/appeals", API_APPEAL)
                    for _ in range(8)]  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses.count(201) == 3 and statuses.count(429) == 5


def post_json(url: str, body: dict) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json",
                                                       "Connection": "close"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_each_process_keeps_its_own_limiter_connection(tmp_path):
    """The shared counter file is opened anew in a forked process (no shared handle)."""
    from portal.ratelimits import SQLiteFileStorage

    storage = SQLiteFileStorage(f"portal+sqlite://{tmp_path}/rl.db")
    assert storage.incr("k", 60) == 1
    pid = os.fork()
    if pid == 0:  # the child counts on the same file
        os._exit(0 if storage.incr("k", 60) == 2 else 1)
    assert os.waitpid(pid, 0)[1] == 0
    assert storage.get("k") == 2
