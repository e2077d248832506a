"""The ``portal`` command: set-up, demo data, staff accounts, serving, expected mistakes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appeal, AppealPrivate, AppealStatus, Category, Service, StaffUser
from tests.conftest import drop_schema


def test_init_db_is_idempotent(runner):
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count(Service.id))) == 27
    assert db.session.scalar(select(func.count(Category.id))) == 60


def test_seed_demo_adds_realistic_deterministic_appeals(runner, make_app, database_url):
    result = runner.invoke(args=["seed-demo", "--appeals", "400", "--seed", "3",
                                 "--today", "2026-11-22"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Added 400 appeals" in result.output
    statuses = set(db.session.scalars(select(Appeal.status)))
    assert {AppealStatus.CLOSED, AppealStatus.ANSWERED, AppealStatus.PUBLISHED} <= statuses
    raw = list(db.session.scalars(select(AppealPrivate.raw_text)))
    assert any("Меня зовут" in text for text in raw)  # the anonymizer has work to do
    public = list(
        db.session.scalars(select(Appeal.public_text).where(Appeal.public_text.is_not(None)))
    )
    assert not any("Меня зовут" in t and "[ИМЯ]" not in t for t in public)
    assert db.session.scalar(select(func.count()).where(Appeal.reopen_count > 0)) > 0
    assert db.session.scalar(select(func.count()).where(Appeal.reroute_count > 0)) > 0
    fingerprint = sorted(db.session.execute(select(Appeal.public_id, Appeal.status)).all())
    # The same seed on a fresh database gives exactly the same appeals.
    db.session.remove()
    db.drop_all()
    db.create_all()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo", "--appeals", "400", "--seed", "3", "--today", "2026-11-22"])
    assert sorted(db.session.execute(select(Appeal.public_id, Appeal.status)).all()) == fingerprint


def test_seeded_appeals_lie_inside_their_city(runner):
    runner.invoke(args=["seed-demo", "--appeals", "300", "--today", "2026-11-22"])
    rows = db.session.execute(
        select(
            Appeal.public_id,
            Appeal.public_lat,
            Appeal.public_lon,
            AppealPrivate.lat,
            AppealPrivate.lon,
        ).join(AppealPrivate)  # fmt: skip
    ).all()
    for public_id, public_lat, public_lon, lat, lon in rows:
        if public_id.startswith("BSK"):
            assert 42.80 <= lat <= 42.93 and 74.48 <= lon <= 74.72
            if public_lat is not None:
                assert 42.80 <= public_lat <= 42.93 and 74.48 <= public_lon <= 74.72
        else:
            assert 40.49 <= lat <= 40.57 and 72.74 <= lon <= 72.84


def test_seed_demo_refuses_a_negative_count(runner):
    result = runner.invoke(args=["seed-demo", "--appeals", "-5"])
    assert result.exit_code == 2
    assert "-5" in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Appeal.id))) == 0


def test_create_staff_binds_service_staff_to_a_service(runner):
    result = runner.invoke(args=["create-staff", "--email", "Roads@City.kg", "--name", "A. B.",
                                 "--role", "service", "--service", "bsk-roads",
                                 "--password", "long enough secret"])  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(StaffUser)).one()
    assert user.email == "roads@city.kg" and user.service.code == "bsk-roads"
    assert user.password_hash != "long enough secret"


def test_create_staff_refuses_bad_input_without_changing_anything(runner):
    cases = [
        ["--role", "service", "--password", "long enough secret"],  # no service
        ["--role", "service", "--service", "nope", "--password", "long enough secret"],
        ["--role", "moderator", "--service", "bsk-roads", "--password", "long enough secret"],
        ["--role", "moderator", "--password", "short"],
    ]
    for extra in cases:
        result = runner.invoke(args=["create-staff", "--email", "x@city.kg", "--name", "X", *extra])
        assert result.exit_code == 1, (extra, result.output)
        assert result.output.startswith("Error:") and "Traceback" not in result.output
    assert db.session.scalar(select(func.count(StaffUser.id))) == 0


def test_create_staff_checks_the_service_before_asking_a_password(runner):
    base = ["create-staff", "--email", "x@city.kg", "--name", "X", "--role", "service"]
    # No --password: a prompt would read this input; the command must stop before it.
    missing = runner.invoke(args=base, input="long enough secret\nlong enough secret\n")
    unknown = runner.invoke(args=[*base, "--service", "nope"], input="x\nx\n")
    for result in (missing, unknown):
        assert result.exit_code == 1, result.output
        assert "Password" not in result.output
        assert "valid codes: " in result.output and "bsk-roads" in result.output
    assert "--service CODE" in missing.output and "'nope'" in unknown.output
    asked = runner.invoke(args=[*base, "--service", "bsk-roads"],
                          input="long enough secret\nlong enough secret\n")  # fmt: skip
    assert asked.exit_code == 0, asked.output
    assert "Password" in asked.output
    assert db.session.scalars(select(StaffUser)).one().service.code == "bsk-roads"


def test_serve_refuses_a_busy_port(runner):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(args=["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def _portal(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "from portal.cli import main; main()", *args],
        capture_output=True, text=True, env=environment, timeout=60,
    )  # fmt: skip


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = _portal("init-db", PORTAL_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/x")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot reach the database")
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_several_workers_need_a_shared_secret(tmp_path):
    result = _portal("serve", "--workers", "2", "--port", str(_free_port()),
                     PORTAL_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite")  # fmt: skip
    assert result.returncode == 1
    assert "PORTAL_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_setting_is_one_clear_line(tmp_path):
    result = _portal("init-db", PORTAL_PAGE_SIZE="lots")
    assert result.returncode == 1
    assert "PORTAL_PAGE_SIZE must be a int" in result.stderr
    assert "Traceback" not in result.stderr


def test_seeding_in_a_second_process_writes_the_same_data(runner, monkeypatch):
    from portal.demo import seeding

    args = ["seed-demo", "--appeals", "300", "--seed", "5", "--today", "2026-11-22"]
    runner.invoke(args=args)
    inline = sorted(db.session.execute(select(Appeal.public_id, Appeal.status, Appeal.due_at)))
    drop_schema()
    runner.invoke(args=["init-db"])
    monkeypatch.setattr(seeding, "PARALLEL_THRESHOLD", 1)
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert (
        sorted(db.session.execute(select(Appeal.public_id, Appeal.status, Appeal.due_at))) == inline
    )


def test_serve_answers_http_requests(tmp_path):
    """The README's quick start ends with `portal serve`: it must really serve pages."""
    import time
    import urllib.request

    port = _free_port()
    database = f"sqlite:///{tmp_path}/serve.db"
    assert _portal("init-db", PORTAL_DATABASE_URL=database).returncode == 0
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment["PORTAL_DATABASE_URL"] = database
    server = subprocess.Popen(
        [sys.executable, "-c", "from portal.cli import main; main()", "serve", "--port", str(port)],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200 and b'"ok"' in r.read()
                    assert r.headers["Server"] == "Achyk-Shaar"  # no Werkzeug/Python versions
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "portal serve did not answer in 60 s"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=10)
