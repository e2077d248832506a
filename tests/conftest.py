"""Shared fixtures: app, client, runner, factories; SQLite by default, PostgreSQL on demand.

Set PORTAL_TEST_DATABASE_URL (postgresql+psycopg://…) to run the whole suite on
PostgreSQL: each test session gets a schema of its own (so parallel runs never meet) and
each test starts from empty tables. Set PORTAL_TEST_REDIS_URL to keep rate limits in Redis.
Set PORTAL_TEST_FORBID_SKIPS=1 (CI does) to turn any skipped test into a failure;
PORTAL_TEST_ALLOWED_SKIPS=postgres then tolerates only tests marked postgres (the SQLite
pass of CI, whose PostgreSQL pass runs them).
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.extensions import db
from portal.schema_upgrade import migrate
from portal.services.reference import install_reference_data

pytest_plugins = ["tests.factories", "tests.scrubber_doubles"]

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


@contextlib.contextmanager
def _pg_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _drop_schema(admin, schema)
        admin.dispose()


#: Backends holding a lock on something in a schema.
_HOLDERS = text(
    "SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()"
)


def _drop_schema(admin, schema: str) -> None:
    """Drop ``schema``. A connection a failed test left open (a download stopped half way,
    say) would make DROP wait for ever, and CI time out with no word of the failure: after
    a while its backend is ended and the drop tried again."""
    with admin.connect() as conn:
        conn.execute(text("SET lock_timeout = '15s'"))
        try:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            return
        except OperationalError:
            pids = conn.execute(_HOLDERS, {"schema": schema}).scalars().all()
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(:pids) AS pid"),
                         {"pids": pids})  # fmt: skip
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str | None]:
    """The session's PostgreSQL schema (None on SQLite): tests empty its tables."""
    if not PG_URL:
        yield None
        return
    with _pg_schema() as url:
        yield url


@pytest.fixture
def database_url(pg_schema_url, tmp_path) -> str:
    """Where this test's database lives (a fresh SQLite file unless on PostgreSQL)."""
    return pg_schema_url or f"sqlite:///{tmp_path / 'portal.db'}"


@pytest.fixture
def new_database_url(tmp_path) -> Iterator:
    """Factory: the URL of a new, truly empty database (a schema of its own on PostgreSQL)."""
    with contextlib.ExitStack() as stack:

        def make() -> str:
            if PG_URL:
                return stack.enter_context(_pg_schema())
            return f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:8]}.db'}"

        yield make


def test_settings(database_url: str, **overrides) -> dict:
    """Settings every test app starts from."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Jobs run at once in the test's process unless a test asks for the real queue.
        "JOBS_IMMEDIATE": True,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "SERVER_NAME": "portal.test",
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def make_app(database_url, tmp_path):
    """Factory: an app on this test's database with overridden settings."""
    made = []

    def build(**overrides):
        overrides.setdefault("SNAPSHOT_DIR", str(tmp_path / "snapshots"))
        overrides.setdefault("RATE_LIMIT_DB", str(tmp_path / "ratelimits.db"))
        overrides.setdefault("JOBS_DB", str(tmp_path / "jobs.db"))
        overrides.setdefault("CACHE_DIR", str(tmp_path / "cache"))
        # Never the checkout's instance/map-index: on PostgreSQL every test's database has
        # the same URL, so an index shared there would outlive the test that built it.
        overrides.setdefault("MAP_INDEX_DIR", str(tmp_path / "map-index"))
        app = create_app(test_settings(database_url, **overrides))
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The portal on an empty database holding the reference data (cities, services…)."""
    app = make_app()

    @app.before_request
    def _fresh_request_globals() -> None:
        # The test's app context (and so ``g``) outlives requests, unlike in production:
        # forget the locale and user cached there so each request chooses its own.
        from flask import g

        g.pop("_flask_babel", None)
        g.pop("_login_user", None)

    with app.app_context():
        if PG_URL:
            _empty_tables()
        create_schema_at_head()
        install_reference_data()
    with app.app_context():
        yield app
        db.session.remove()


def create_schema_at_head() -> None:
    """The newest schema, quickly: ``db.create_all()`` stamped at the newest revision.

    As a deployed portal's database would be after ``portal db upgrade``;
    tests/portal/test_migrations.py proves that the two schemas are the same.
    """
    db.create_all()
    with db.engine.begin() as connection:
        MigrationContext.configure(connection).stamp(_migration_scripts(), "head")


def drop_schema() -> None:
    """Leave the database empty: every table and the migration history."""
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@functools.cache
def _migration_scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate().get_config())


def _empty_tables() -> None:
    db.create_all()
    names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def client(app, request):
    """A test client; under ``@pytest.mark.language("en")`` (e.g. a module's ``pytestmark``)
    it reads the interface in that language, so tests can match the English msgids."""
    client = app.test_client()
    if marker := request.node.get_closest_marker("language"):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = marker.args[0]
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def pytest_collection_modifyitems(config, items) -> None:
    """Skip PostgreSQL/Redis-only tests when those services are not configured."""
    for item in items:
        if "postgres" in item.keywords and not PG_URL:
            item.add_marker(pytest.mark.skip(reason="PORTAL_TEST_DATABASE_URL not set"))
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="PORTAL_TEST_REDIS_URL not set"))


def pytest_sessionfinish(session, exitstatus) -> None:
    """In CI a skipped test is a test that did not run: fail the run."""
    if os.environ.get("PORTAL_TEST_FORBID_SKIPS") != "1":
        return
    allowed = set(filter(None, os.environ.get("PORTAL_TEST_ALLOWED_SKIPS", "").split(",")))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    forbidden = [r for r in skipped if not allowed & set(r.keywords)]
    for report in forbidden:
        reporter.write_line(f"FORBIDDEN SKIP: {report.nodeid}: {report.longrepr}")
    if forbidden:
        session.exitstatus = 1
