"""Database wiring: the URL, SQLite pragmas (WAL, busy timeout), connectivity checks."""

from __future__ import annotations

import os
import sqlite3

from flask import Flask
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from portal.config import ConfigError, Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Choose the database URL (default: SQLite in the instance folder), bind Flask-SQLAlchemy
    and set SQLite's pragmas on each new connection of this application's engine."""
    from portal.extensions import db

    configure(app, settings)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def upsert_insert(bind: Session | scoped_session | Connection | Engine):
    """The INSERT construct with ON CONFLICT (``insert(table).on_conflict_do_…``) of the
    database behind ``bind``. The dialect is imported here, so a SQLite deployment never
    loads PostgreSQL's (~3 MB in every worker)."""
    dialect = bind.dialect if isinstance(bind, Connection | Engine) else bind.get_bind().dialect
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def configure(app: Flask, settings: Settings) -> None:
    """The database URL and engine options in ``app.config``."""
    url = settings.DATABASE_URL
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = f"sqlite:///{os.path.join(app.instance_path, 'portal.db')}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": settings.SQLITE_BUSY_TIMEOUT}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL lets readers work while one writer writes; foreign keys are off by default."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def check_connection(engine: Engine) -> None:
    """Raise ConfigError with a one-line reason when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        raise ConfigError(f"cannot reach the database {engine.url!r}: {reason}") from None
