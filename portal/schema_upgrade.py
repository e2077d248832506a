"""Bring the database to the newest schema revision (Alembic, through Flask-Migrate).

A database starts from one of three states: empty (every revision runs), migrated (the
missing revisions run), or made by ``db.create_all()`` before the portal had migrations
(tables, no ``alembic_version``). The last is adopted only when its tables and columns are
exactly those the baseline revision creates: it is stamped at the baseline, then upgraded
like the others. Anything else is refused, untouched.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import Migrate
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection

from portal.config import ConfigError
from portal.extensions import db

VERSION_TABLE = "alembic_version"

Schema = dict[str, frozenset[str]]  # table name -> column names


class SchemaMismatch(ConfigError):
    """Tables without migration history that are not the baseline's: nothing was changed."""


def migrate(app: Flask | None = None) -> Migrate:
    """Flask-Migrate, bound to ``app`` (default: the current one) on first use.

    Only what runs migrations imports this module: Flask-Migrate imports Alembic (~8 MB of
    each web worker's memory, were it bound in ``create_app``). Binding also registers
    Flask-Migrate's own ``db`` commands; the portal's (``portal.cli``) are kept.
    """
    app = app or current_app._get_current_object()
    if "migrate" not in app.extensions:
        ours = app.cli.commands.get("db")
        Migrate(app, db, directory=app.config["MIGRATIONS_DIRECTORY"],
                compare_type=True, render_as_batch=True)  # fmt: skip
        if ours is not None:
            app.cli.add_command(ours)
    return app.extensions["migrate"].migrate


def upgrade_database(revision: str = "head", directory: str | None = None) -> None:
    """Upgrade the configured database to ``revision``, adopting a pre-migration database."""
    config = migrate().get_config(directory)
    adopt_unversioned_database(config)
    command.upgrade(config, revision)


def adopt_unversioned_database(config: Config) -> bool:
    """Stamp a database made by ``db.create_all()`` at the baseline; True when it did.

    Raises SchemaMismatch when the database has tables but no history and they differ
    from the baseline's.
    """
    with db.engine.connect() as connection:
        found = table_columns(connection)
    if not found or VERSION_TABLE in found:
        return False
    script = ScriptDirectory.from_config(config)
    baseline = script.get_revision(script.get_base())
    expected = _created_by(baseline.module)
    if found != expected:
        raise SchemaMismatch(
            "the database has tables but no migration history, and they are not the "
            f"baseline's ({_differences(found, expected)}); restore a backup made by this "
            "portal or upgrade it by hand"
        )
    command.stamp(config, baseline.revision)
    return True


def table_columns(connection: Connection) -> Schema:
    """The tables of the connection's default schema and their column names."""
    inspector = inspect(connection)
    return {
        table: frozenset(column["name"] for column in inspector.get_columns(table))
        for table in inspector.get_table_names()
    }


def _created_by(revision_module) -> Schema:
    """The tables and columns a revision creates, found by running it on an empty SQLite."""
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            with Operations.context(MigrationContext.configure(connection)):
                revision_module.upgrade()
            return table_columns(connection)
    finally:
        engine.dispose()


def _differences(found: Schema, expected: Schema) -> str:
    missing = sorted(expected.keys() - found.keys())
    unexpected = sorted(found.keys() - expected.keys())
    changed = sorted(t for t in expected.keys() & found.keys() if expected[t] != found[t])
    parts = [
        f"{label}: {', '.join(names)}"
        for label, names in (
            ("missing tables", missing),
            ("unknown tables", unexpected),
            ("other columns in", changed),
        )
        if names
    ]
    return "; ".join(parts)
