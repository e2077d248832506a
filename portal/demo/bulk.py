"""Writing generated demo rows fast: COPY on PostgreSQL, executemany on SQLite.

Rows are plain tuples in the layouts below; timestamps are formatted by hand (several
times faster than datetime objects, which matters for a city's ten million timestamps).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from sqlalchemy import Connection, func, select, text

from portal.models import (
    Answer,
    Appeal,
    AppealPrivate,
    Contact,
    PublicIdCounter,
    Rating,
    StatusEvent,
    UTCDateTime,
)

DAY = 86400

#: Every column of the appeals table, from the model: a new column (a published field of
#: the record, or a private one) is written as soon as the generator gives it a value.
APPEAL_COLUMNS = tuple(column.name for column in Appeal.__table__.columns)
PRIVATE_COLUMNS = (
    "appeal_id", "raw_text", "lat", "lon", "address_text", "language", "moderated_text",
)  # fmt: skip
CONTACT_COLUMNS = ("appeal_id", "name", "email", "phone")
ANSWER_COLUMNS = (
    "id", "appeal_id", "service_id", "round", "created_at", "public_text", "private_raw_text",
    "private_internal_note", "private_staff_id", "needs_moderation",
)  # fmt: skip
RATING_COLUMNS = (
    "id", "appeal_id", "answer_id", "service_id", "created_at", "score", "solved", "reason",
    "public_comment", "private_comment",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "appeal_id", "kind", "created_at", "service_id", "to_service_id", "public_note",
    "private_staff_id",
)  # fmt: skip

TABLES = (
    (Appeal.__table__, APPEAL_COLUMNS),
    (AppealPrivate.__table__, PRIVATE_COLUMNS),
    (Contact.__table__, CONTACT_COLUMNS),
    (Answer.__table__, ANSWER_COLUMNS),
    (Rating.__table__, RATING_COLUMNS),
    (StatusEvent.__table__, EVENT_COLUMNS),
)

TIME_COLUMNS = frozenset(
    column.name for column in Appeal.__table__.columns if isinstance(column.type, UTCDateTime)
)
_APPEAL_LAYOUT = tuple((name, name in TIME_COLUMNS) for name in APPEAL_COLUMNS)


@functools.cache
def _day_string(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def as_time(ts: float | None) -> str | None:
    """A UTC timestamp as the text both SQLite (SQLAlchemy's format) and COPY accept.

    Formatting by hand is several times faster than datetime objects, which matters for
    the ~10 million timestamps of a city-scale database.
    """
    if ts is None:
        return None
    day, second = divmod(int(ts), DAY)
    hour, rest = divmod(second, 3600)
    return f"{_day_string(day)} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}.000000"


def appeal_tuple(row: dict) -> tuple:
    get = row.get
    return tuple(as_time(get(name)) if is_time else get(name) for name, is_time in _APPEAL_LAYOUT)


class BulkWriter:
    """Writes row tuples fast: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def prepare(self) -> None:
        """Seeding is re-runnable, so SQLite may skip fsyncs and use a large page cache."""
        if not self.postgres:
            self.conn.exec_driver_sql("PRAGMA synchronous=OFF")
            self.conn.exec_driver_sql("PRAGMA cache_size=-262144")

    def write(self, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        raw = self.conn.connection.driver_connection
        if self.postgres:
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            raw.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows)  # fmt: skip


def batch_tables(batch: list[dict]) -> tuple[dict[str, list[tuple]], dict[str, int]]:
    """Row tuples per table name for a batch of generated appeals, and status counts."""
    parts = {"private": [], "contacts": [], "answers": [], "ratings": [], "events": []}
    appeals, statuses = [], {}
    for item in batch:
        appeals.append(appeal_tuple(item["appeal"]))
        status = item["appeal"]["status"]
        statuses[status] = statuses.get(status, 0) + 1
        for name, rows in parts.items():
            rows.extend(item[name])
    tables = {
        "appeals": appeals,
        "appeal_private": parts["private"],
        "contacts": parts["contacts"],
        "answers": [(*r[:4], as_time(r[4]), *r[5:]) for r in parts["answers"]],
        "ratings": [(*r[:4], as_time(r[4]), *r[5:]) for r in parts["ratings"]],
        "status_events": [(*r[:3], as_time(r[3]), *r[4:]) for r in parts["events"]],
    }
    return tables, statuses


def next_ids(conn: Connection) -> dict:
    def top(column) -> int:
        return conn.execute(select(func.coalesce(func.max(column), 0))).scalar_one()

    counters = {(c.city_code, c.year): c.last_number for c in conn.execute(select(PublicIdCounter))}
    return {
        "appeal": top(Appeal.id), "event": top(StatusEvent.id), "answer": top(Answer.id),
        "rating": top(Rating.id), "counters": counters,
    }  # fmt: skip


def save_counters(conn: Connection, counters: dict) -> None:
    table = PublicIdCounter.__table__
    for (city_code, year), last in counters.items():
        updated = conn.execute(
            table.update()
            .where(table.c.city_code == city_code, table.c.year == year)
            .values(last_number=last)
        )
        if updated.rowcount == 0:
            conn.execute(table.insert().values(city_code=city_code, year=year, last_number=last))


def reset_sequences(conn: Connection) -> None:
    for table in ("appeals", "status_events", "answers", "ratings"):
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
