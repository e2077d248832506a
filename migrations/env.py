"""Alembic environment: the portal's models on the portal's engine (through Flask-Migrate).

Runs inside the application context of ``portal db …`` (or ``portal init-db``), so the
database is the configured one. On SQLite, revisions alter tables in batch mode (copy,
swap) and run with foreign keys off: dropping the old copy of a table that other rows
reference would otherwise fail or cascade. The keys are checked once the revisions ran.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import TypeDecorator
from sqlalchemy.engine import Connection

from portal.search_index import FTS_TABLES

config = context.config
migrate = current_app.extensions["migrate"]
logger = logging.getLogger("alembic.env")

if config.config_file_name and not logging.getLogger().handlers:
    # The command line; an application (or the test suite) keeps its own logging.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(type_: str, obj, autogen_context) -> str | bool:
    """Write a model's own column type (e.g. UTCDateTime) as the type it stores.

    Revisions are history: they must not import portal code that later changes.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def skip_empty_revision(context, revision, directives) -> None:
    """`portal db migrate` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def include_name(name, type_, parent_names) -> bool:
    """SQLite's FTS5 table of the search index and the tables it makes for itself are
    not models (portal.search_index; the revision adding search_documents creates them)."""
    return not (type_ == "table" and name in FTS_TABLES)


def configure(**kwargs) -> None:
    options = {
        "render_item": render_item,
        "process_revision_directives": skip_empty_revision,
        "include_name": include_name,
    }
    options.update(migrate.configure_args)
    context.configure(target_metadata=migrate.db.metadata, **options, **kwargs)


def run_migrations_offline() -> None:
    """`--sql`: print the SQL instead of running it."""
    configure(url=migrate.db.engine.url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with migrate.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    # The pragma is ignored inside a transaction: commit whatever is open around it.
    connection.commit()
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise RuntimeError(f"the migration broke foreign keys in: {', '.join(tables)}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
