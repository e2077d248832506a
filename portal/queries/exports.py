"""Streaming SELECTs of the open datasets (public columns only, shared filters applied).

Each query selects exactly the fields of its ``opendata.schema`` dataset, in order and
labelled by field name, taken from the one mapping in ``portal.queries.record``, so that
the writers in ``opendata.exports`` can never receive a column the allowlist does not name.

Rows are streamed as Arrow record batches: SQLAlchemy compiles the statement (rendering
the validated filter values through the column types); PostgreSQL's Arrow driver decodes
its binary COPY of the rows (``portal.queries.postgres_arrow``); SQLite writes each row
as one line of SQL literals, joined by SQLite into blocks of consecutive keys, and Arrow
parses them into the dataset's types (``portal.queries.text_rows``). No Python object is
made per value, nor, but for a SQLite dataset read line by line, per row. Memory does not
depend on the number of rows. Values are read raw (SQLite's UTC text and 0/1 booleans,
PostgreSQL's naive UTC timestamps): the Arrow types say what they are, and ``opendata``
renders them. Threads read ahead of the rendering (``read_ahead``).

``adbc-driver-sqlite`` (Arrow straight from SQLite, a third less CPU than the sqlite3
module) was tried and is not used: it infers each column's type from the first batch and
fails on a later value of another type (a column empty in the first thousand appeals,
text later) — pinnable with a first row of typed literals — but, worse, its connections
did not see rows committed by the portal's connections in WAL mode (1.13.0, checked with
a fresh connection per read), so a download could miss the newest appeals. It also links
its own copy of SQLite: two SQLite libraries on one file in one process defeat each
other's POSIX locks (SQLite's "How To Corrupt An SQLite Database File", 2.2.1).

SQLite writing each row's finished CSV line or GeoJSON feature itself (``printf``,
``datetime()``, ``glob`` for CSV quoting, ``json_quote``; byte for byte the Arrow engine's
files) was measured on 1M appeals and not kept: CSV 30.5 s, GeoJSON 19.9 s against this
reader's 14.0 s and 17.2 s in the same hour. SQL's function calls per value run on one
core: for CSV they took more CPU than the whole Arrow path (30 s against 21 s; ``glob``
alone 7.3 s), for GeoJSON less (20 s against 25 s) but with no second core to share it.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from functools import partial
from typing import TypeVar

import pyarrow as pa
from sqlalchemy import Engine, Select, func, select

from opendata import columns, schema, stats
from portal.models import Appeal, Category, City, District, Service, utcnow
from portal.queries import postgres_arrow, text_rows
from portal.queries.record import TABLES
from portal.schemas.filters import AppealFilters
from portal.workdays import BISHKEK

BATCH_ROWS = 5000
#: Rows per batch of a download (the web server's memory: each batch and the cells
#: rendered from it are held at once; 2000 rows take ~40 MB less than 5000 in GeoJSON).
DOWNLOAD_BATCH_ROWS = 2000
#: Batches a download's reading thread may be ahead of its rendering.
READ_AHEAD = 2
T = TypeVar("T")
_END = object()
PERFORMANCE_WINDOW_MONTHS = 24


def dataset_query(name: str, filters: AppealFilters, **options) -> Select:
    """The SELECT of dataset ``name``: its fields from ``portal.queries.record``, labelled
    by name, in schema order; ``options`` bind parameters such as ``default_deadline``."""
    table = TABLES[name]
    query = table.apply_filters(table.select(), filters)
    query = query.order_by(*table.order_by)
    return query.params(**options) if options else query


def stream_rows(
    engine: Engine,
    name: str,
    filters: AppealFilters | None = None,
    *,
    batch_rows: int = BATCH_ROWS,
    **options,
) -> Iterator[pa.RecordBatch]:
    """Arrow record batches of dataset ``name``: on PostgreSQL decoded by its Arrow driver
    (``portal.queries.postgres_arrow``), on SQLite written as text by the database and
    parsed by Arrow (``portal.queries.text_rows``).

    The stages overlap on two cores, each up to ``READ_AHEAD`` items ahead of the next
    (``read_ahead``): on SQLite a thread reads the database's text, a second parses it, and
    the caller renders the batches (at 1M appeals, CSV took 7.7-7.8 s and GeoJSON 8.2-8.4 s
    so; with parsing in the caller's thread, 8.6-8.9 s and 9.2-9.9 s); on PostgreSQL a
    thread reads the batches. The connection is held only while the generator runs, and
    released when it is exhausted or closed (e.g. when a client drops a download).
    """
    if name == schema.PERFORMANCE.name:
        return _performance_batches(filters or AppealFilters(), **options)
    query = dataset_query(name, filters or AppealFilters(), **options)
    dataset = schema.dataset(name)
    # Compiled here, in the caller's context; the threads only read.
    if engine.dialect.name == "postgresql":
        sql = compiled_sql(query, engine.dialect)
        fetch = partial(postgres_arrow.record_batches, engine.url, sql, batch_rows)
        return read_ahead(lambda: _conformed(dataset, fetch()))
    read = _text_reader(engine.dialect, query, dataset, TABLES[name].order_by[0], batch_rows)
    chunks = read_ahead(lambda: _read_text(engine, read))
    return read_ahead(lambda: text_rows.parsed_batches(chunks, dataset, text_rows.SQL_LITERALS))


def _text_reader(
    dialect, query: Select, dataset: schema.Dataset, key, batch_rows: int
) -> Callable[[object], Iterator[bytes]]:
    """How SQLite writes ``query``'s rows as text (``portal.queries.text_rows``): a
    function of a DBAPI connection that yields chunks of at most ``batch_rows`` lines.

    Parameters are rendered inline by SQLAlchemy's literal processors (through the column
    types: datetimes become naive UTC, strings are quoted); every value comes from a
    validated filter. A dataset ordered by a primary key (``key``) is read in blocks of
    ``batch_rows`` consecutive keys.
    """
    if getattr(key, "primary_key", False):
        blocks = compiled_sql(text_rows.as_line_blocks(query, dataset, key), dialect)
        bounds = compiled_sql(select(func.min(key), func.max(key)), dialect)
        return partial(text_rows.block_chunks, blocks=blocks, bounds=bounds, keys=batch_rows)
    lines = compiled_sql(text_rows.as_lines(query, dataset), dialect)
    return partial(text_rows.line_chunks, sql=lines, batch_rows=batch_rows)


def _conformed(dataset: schema.Dataset, batches: Iterator[pa.RecordBatch]):
    """``batches`` as the dataset's canonical batches (``opendata.columns``)."""
    with closing(batches):
        for batch in batches:
            yield columns.conform(dataset, batch)


def _read_text(engine: Engine, read: Callable[[object], Iterator[bytes]]) -> Iterator[bytes]:
    with engine.connect() as conn:
        try:
            yield from read(conn.connection.driver_connection)
        finally:
            conn.rollback()


def read_ahead(make: Callable[[], Iterator[T]], depth: int = READ_AHEAD) -> Iterator[T]:
    """The items of ``make()``, produced by a thread up to ``depth`` items ahead.

    Reading (the database's own work and the DBAPI's, which let go of the GIL while the
    database steps or the network waits) and parsing (Arrow, which lets go of it too) then
    overlap with the caller's rendering: a download uses a second core. The generator is
    created, run and closed in the thread, so its connection never changes threads; when
    the caller stops early, the thread stops at its next item and closes it.
    """
    items: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            source = make()
            try:
                for item in source:
                    if not put((item, None)):
                        return
            finally:
                source.close()
        except BaseException as error:  # handed to the caller, raised there
            put((_END, error))
        else:
            put((_END, None))

    thread = threading.Thread(target=produce, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def compiled_sql(query: Select, dialect) -> str:
    """The SQL text of an export query, with its (validated) values inline.

    On SQLite the appeals table is read NOT INDEXED, i.e. in rowid (= id) order: the rows
    then come out in the ORDER BY without a temporary B-tree holding the whole result
    (which an index on status, city or date would need). Filtered downloads scan the table
    too, which is still a sequential read in constant memory.
    """
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "sqlite":
        # the outer FROM, not a correlated subquery's aliased read (the original of a
        # duplicate: "FROM appeals AS original_appeal", which keeps its primary key)
        sql = re.sub(r"\nFROM appeals (?!AS )", "\nFROM appeals NOT INDEXED ", sql, count=1)
    return sql


def count_rows(engine: Engine, name: str, filters: AppealFilters | None = None, **options) -> int:
    """How many rows dataset ``name`` has (for progress bars)."""
    if name == schema.PERFORMANCE.name:
        return sum(batch.num_rows for batch in _performance_batches(filters or AppealFilters()))
    query = dataset_query(name, filters or AppealFilters(), **options).order_by(None)
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()


# --- Monthly service performance (figures from portal.queries.performance) ---------------


def performance_window(filters: AppealFilters, today: date | None = None) -> tuple[date, date]:
    """The window of the monthly performance dataset: the filters' dates, else the last
    PERFORMANCE_WINDOW_MONTHS complete months; a window starting in the current month ends
    today (as on /performance). A start after today is refused by the filters' schema
    (``require_started_window``)."""
    today = today or utcnow().astimezone(BISHKEK).date()
    default_start, default_end = stats.default_window(today, PERFORMANCE_WINDOW_MONTHS)
    start = filters.date_from or default_start
    return start, filters.date_to or (default_end if start <= default_end else today)


def _performance_batches(filters: AppealFilters, today: date | None = None):
    from portal.queries.performance import monthly_service_performance

    window_start, window_end = performance_window(filters, today)
    rows = monthly_service_performance(window_start, window_end, filters.city)
    if filters.service:  # the same rows as the whole window's, for one service
        rows = [row for row in rows if row.service == filters.service]
    names = schema.PERFORMANCE.names
    if rows:
        values = [tuple(getattr(row, name) for name in names) for row in rows]
        yield columns.from_rows(schema.PERFORMANCE, values)


def reference_enums(engine: Engine) -> dict[str, tuple[str, ...]]:
    """Allowed codes of the reference fields (city, district, category, service)."""
    with engine.connect() as conn:
        return {
            "city": tuple(conn.scalars(select(City.slug).order_by(City.id))),
            "district": tuple(conn.scalars(select(District.slug).distinct().order_by(District.slug))),
            "category": tuple(conn.scalars(select(Category.code).distinct().order_by(Category.code))),
            "service": tuple(conn.scalars(select(Service.code).order_by(Service.id))),
        }  # fmt: skip


def last_update(engine: Engine):
    """When anything public last changed (newest appeal update), or None."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(Appeal.updated_at))).scalar_one()
