"""Where Flask-Limiter keeps its counters, and what happens when that place fails.

- With REDIS_URL: in Redis, shared by every worker and host, every command bounded by
  REDIS_TIMEOUT. When Redis is down or frozen the limiter falls back to counters in each
  process and retries Redis now and then; errors are swallowed, so a limiter failure never
  turns a request (least of all one that already committed) into an error.
- Without Redis: in a small SQLite file (RATE_LIMIT_DB) that every worker of the machine
  shares, so "10 per hour" means 10 per hour with any number of gunicorn workers.
  The ``limits`` package has no file or SQL storage, hence the class below: one atomic
  UPSERT … RETURNING per hit (fixed windows, Flask-Limiter's default strategy).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from urllib.parse import urlsplit

from flask import Flask
from limits.storage import Storage

from portal.config import Settings
from portal.redis_link import connection_options

SCHEME = "portal+sqlite"
#: One hit in this many also deletes expired counters.
_PURGE_ONE_IN = 500


class SQLiteFileStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes of one machine."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = urlsplit(uri).path
        self.timeout = float(options.get("timeout", 5.0))
        self._local = threading.local()
        with self._connection() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counters ("
                " key TEXT PRIMARY KEY, hits INTEGER NOT NULL, expires REAL NOT NULL)"
            )

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        (hits,) = connection.execute(
            "INSERT INTO counters (key, hits, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            " hits = CASE WHEN expires <= ? THEN excluded.hits ELSE hits + excluded.hits END,"
            " expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END "
            "RETURNING hits",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        if random.randrange(_PURGE_ONE_IN) == 0:
            connection.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return hits

    def _row(self, key: str) -> tuple[int, float] | None:
        row = (
            self._connection()
            .execute("SELECT hits, expires FROM counters WHERE key = ?", (key,))
            .fetchone()
        )
        return row if row is not None and row[1] > time.time() else None

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))


def configure(app: Flask, settings: Settings) -> None:
    """Choose the limiter's storage and make its failures harmless (before limiter.init_app)."""
    if settings.REDIS_URL:
        app.config["RATELIMIT_STORAGE_URI"] = settings.REDIS_URL
        app.config["RATELIMIT_STORAGE_OPTIONS"] = connection_options(settings.REDIS_TIMEOUT)
    else:
        path = settings.RATE_LIMIT_DB or os.path.join(app.instance_path, "ratelimits.db")
        app.config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://{os.path.abspath(path)}"
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
