"""``portal backup --out FILE`` and ``portal restore FILE``: the whole database, online.

SQLite: the online backup API (a consistent copy while the portal keeps serving; the
restore copies pages back the same way, under SQLite's own locks). PostgreSQL:
``pg_dump --format=custom`` and ``pg_restore --clean`` (the PostgreSQL client tools of the
server's major version must be installed). A URL whose ``options`` set a ``search_path``
(one schema per portal) backs up and restores that schema only.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from portal.config import ConfigError

#: How long a restore waits for tables that a running portal holds.
LOCK_TIMEOUT_SECONDS = 30
_SEARCH_PATH = re.compile(r"-csearch_path=([A-Za-z0-9_]+)")


def backup(engine: Engine, out: Path) -> None:
    """Write a consistent copy of the database to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        _sqlite_copy(_sqlite_path(engine), str(out))
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", *_schema_args(engine),
              f"--file={out}", f"--dbname={_libpq_url(engine)}"])  # fmt: skip


def restore(engine: Engine, backup_file: Path) -> None:
    """Replace the database's content with ``backup_file`` (made by ``backup``)."""
    if not backup_file.is_file():
        raise ConfigError(f"no backup file at {backup_file}")
    engine.dispose()  # no pooled connection keeps the old content
    if engine.dialect.name == "sqlite":
        _sqlite_copy(str(backup_file), _sqlite_path(engine))
    else:
        # Tables in use by a running portal cannot be replaced: give up after a while
        # instead of waiting forever (stop the portal and the worker first).
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url(engine)}", str(backup_file)],
             env={"PGOPTIONS": f"-c lock_timeout={LOCK_TIMEOUT_SECONDS}s"})  # fmt: skip


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise ConfigError("an in-memory SQLite database cannot be backed up")
    return path


def _sqlite_copy(source: str, target: str) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _libpq_url(engine: Engine) -> str:
    """The SQLAlchemy URL as libpq reads it (no driver name, no search_path option)."""
    url = make_url(engine.url).set(drivername="postgresql")
    query = {k: v for k, v in url.query.items() if k != "options"}
    return url.set(query=query).render_as_string(hide_password=False)


def _schema_args(engine: Engine) -> list[str]:
    found = _SEARCH_PATH.search(str(engine.url.query.get("options", "")))
    return [f"--schema={found.group(1)}"] if found else []


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    if shutil.which(command[0]) is None:
        raise ConfigError(
            f"{command[0]} is not installed (apt-get install postgresql-client-15, "
            "the server's major version)"
        )
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ConfigError(f"{command[0]}: {reason}")
