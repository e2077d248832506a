"""Streaming SELECTs of the open datasets (public columns only, shared filters applied).

Each query selects exactly the fields of its ``opendata.schema`` dataset, in order and
labelled by field name (checked when the query is built), so that the writers in
``opendata.exports`` can never receive a column the allowlist does not name.

Rows are streamed: SQLAlchemy compiles the statement (rendering the validated filter
values through the column types), and a DBAPI cursor — a server-side cursor on PostgreSQL —
is read in batches with ``fetchmany``, so memory does not depend on the number of rows and
no per-row ORM or Row objects are built. Values arrive raw: SQLite gives timestamps as
UTC strings and booleans as 0/1, which the writers handle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date

from sqlalchemy import Engine, Select, String, func, literal, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from opendata import schema, stats
from portal.models import (
    PUBLIC_STATUSES,
    Answer,
    Appeal,
    AppealStatus,
    Category,
    City,
    District,
    Rating,
    Service,
    utcnow,
)
from portal.queries.filters import apply_filters
from portal.schemas.filters import AppealFilters
from portal.workdays import BISHKEK

BATCH_ROWS = 1000
TIMEZONE = "Asia/Bishkek"
PERFORMANCE_WINDOW_MONTHS = 24


class LocalTimestamp(FunctionElement):
    """A stored UTC timestamp as the datasets publish it.

    On PostgreSQL the server formats it (``to_char`` in the session time zone, set to
    Asia/Bishkek by stream_rows): ``2026-03-01T14:05:09+06:00``, with the tz database's
    offset; the writers pass such values through. Elsewhere (SQLite) the stored value is
    read as is and ``opendata.exports`` converts it.
    """

    type = String()
    inherit_cache = True
    name = "local_timestamp"


@compiles(LocalTimestamp)
def _local_timestamp(element, compiler, **kw):
    (column,) = element.clauses
    return compiler.process(column, **kw)


@compiles(LocalTimestamp, "postgresql")
def _local_timestamp_pg(element, compiler, **kw):
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    return f"""to_char(({value}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')"""


def _raw(column):
    """The stored value without the ORM type's conversion (enum → plain string)."""
    return type_coerce(column, String)


def _appeal_joins(query: Select) -> Select:
    """Join the reference tables that the shared filters refer to."""
    return (
        query.join(City, City.id == Appeal.city_id)
        .outerjoin(District, District.id == Appeal.district_id)
        .join(Category, Category.id == Appeal.category_id)
        .join(Service, Service.id == Appeal.service_id)
    )


def latest_answer_text():
    """The latest published answer of the appeal in the outer query (correlated)."""
    return (
        select(Answer.public_text)
        .where(Answer.appeal_id == Appeal.id, Answer.public_text.is_not(None))
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(1)
        .correlate(Appeal)
        .scalar_subquery()
    )


def appeals_query(filters: AppealFilters) -> Select:
    columns = (
        Appeal.public_id.label("id"),
        City.slug.label("city"),
        District.slug.label("district"),
        Category.code.label("category"),
        Service.code.label("service"),
        _raw(Appeal.status).label("status"),
        _raw(Appeal.resolution).label("resolution"),
        Appeal.public_lat.label("lat"),
        Appeal.public_lon.label("lon"),
        Appeal.location_precision_m.label("location_precision_m"),
        LocalTimestamp(Appeal.submitted_at).label("submitted_at"),
        LocalTimestamp(Appeal.published_at).label("published_at"),
        LocalTimestamp(Appeal.acknowledged_at).label("acknowledged_at"),
        LocalTimestamp(Appeal.first_answer_at).label("first_answer_at"),
        LocalTimestamp(Appeal.closed_at).label("closed_at"),
        LocalTimestamp(Appeal.due_at).label("due_at"),
        Appeal.deadline_extended.label("deadline_extended"),
        Appeal.extension_reason.label("extension_reason"),
        Appeal.answered_on_time.label("on_time"),
        Appeal.first_answer_workdays.label("first_answer_workdays"),
        Appeal.reopen_count.label("reopen_count"),
        Appeal.public_text.label("text"),
        latest_answer_text().label("latest_answer_text"),
        Appeal.last_score.label("rating_score"),
        _raw(Appeal.last_solved).label("solved"),
        LocalTimestamp(Appeal.updated_at).label("updated_at"),
    )
    query = _appeal_joins(select(*columns).select_from(Appeal))
    query = query.where(Appeal.status.in_(PUBLIC_STATUSES))
    return apply_filters(query, filters).order_by(Appeal.id)


def answers_query(filters: AppealFilters) -> Select:
    answering = aliased(Service)
    query = (
        select(
            Answer.id.label("id"),
            Appeal.public_id.label("appeal_id"),
            answering.code.label("service"),
            Answer.round.label("round"),
            LocalTimestamp(Answer.created_at).label("created_at"),
            Answer.public_text.label("text"),
        )
        .select_from(Appeal)
        .join(Answer, Answer.appeal_id == Appeal.id)
        .join(answering, answering.id == Answer.service_id)
    )
    query = _appeal_joins(query).where(
        Appeal.status.in_(PUBLIC_STATUSES), Answer.public_text.is_not(None)
    )
    return apply_filters(query, filters).order_by(Answer.id)


def ratings_query(filters: AppealFilters) -> Select:
    rated = aliased(Service)
    query = (
        select(
            Rating.answer_id.label("answer_id"),
            Appeal.public_id.label("appeal_id"),
            rated.code.label("service"),
            LocalTimestamp(Rating.created_at).label("created_at"),
            Rating.score.label("score"),
            _raw(Rating.solved).label("solved"),
            _raw(Rating.reason).label("reason"),
            Rating.public_comment.label("comment"),
        )
        .select_from(Appeal)
        .join(Rating, Rating.appeal_id == Appeal.id)
        .join(Answer, Answer.id == Rating.answer_id)
        .join(rated, rated.id == Rating.service_id)
    )
    query = _appeal_joins(query).where(
        Appeal.status.in_(PUBLIC_STATUSES), Answer.public_text.is_not(None)
    )
    return apply_filters(query, filters).order_by(Rating.appeal_id, Rating.id)


def withdrawn_query(filters: AppealFilters) -> Select:
    """Tombstones: only the id, the city, when and why (the shared filters: city only)."""
    reason = func.coalesce(_raw(Appeal.rejection_reason), literal("withdrawn", String))
    query = (
        select(
            Appeal.public_id.label("id"),
            City.slug.label("city"),
            LocalTimestamp(func.coalesce(Appeal.withdrawn_at, Appeal.updated_at)).label(
                "withdrawn_at"
            ),
            reason.label("reason"),
        )
        .select_from(Appeal)
        .join(City, City.id == Appeal.city_id)
        .where(Appeal.status == AppealStatus.WITHDRAWN)
    )
    if filters.city:
        query = query.where(City.slug == filters.city)
    return query.order_by(Appeal.id)


def services_query(filters: AppealFilters) -> Select:
    query = (
        select(
            Service.code.label("code"),
            City.slug.label("city"),
            Service.name_ru.label("name_ru"),
            Service.name_ky.label("name_ky"),
            Service.name_en.label("name_en"),
            Service.active.label("active"),
        )
        .select_from(Service)
        .join(City, City.id == Service.city_id)
    )
    if filters.city:
        query = query.where(City.slug == filters.city)
    return query.order_by(Service.id)


def categories_query(filters: AppealFilters, default_deadline: int = 14) -> Select:
    query = (
        select(
            City.slug.label("city"),
            Category.code.label("code"),
            Category.group.label("group"),
            Category.name_ru.label("name_ru"),
            Category.name_ky.label("name_ky"),
            Category.name_en.label("name_en"),
            Service.code.label("default_service"),
            func.coalesce(Category.deadline_days, default_deadline).label("deadline_days"),
            _raw(Category.privacy_tier).label("privacy_tier"),
            Category.active.label("active"),
        )
        .select_from(Category)
        .join(City, City.id == Category.city_id)
        .join(Service, Service.id == Category.default_service_id)
    )
    if filters.city:
        query = query.where(City.slug == filters.city)
    return query.order_by(Category.id)


QUERIES = {
    "appeals": appeals_query,
    "answers": answers_query,
    "ratings": ratings_query,
    "withdrawn": withdrawn_query,
    "services": services_query,
    "categories": categories_query,
}


def dataset_query(name: str, filters: AppealFilters, **options) -> Select:
    """The SELECT of dataset ``name``; its columns are checked against the schema."""
    query = QUERIES[name](filters, **options)
    labels = tuple(column.name for column in query.selected_columns)
    expected = schema.dataset(name).names
    if labels != expected:  # the allowlist and the query must agree, column by column
        raise RuntimeError(f"{name}: query columns {labels} differ from schema {expected}")
    return query


def stream_rows(
    engine: Engine,
    name: str,
    filters: AppealFilters | None = None,
    *,
    batch_rows: int = BATCH_ROWS,
    **options,
) -> Iterator[list[Sequence]]:
    """Batches of raw rows of dataset ``name``, read with a streaming cursor.

    The connection is held only while the generator runs, and released when it is
    exhausted or closed (e.g. when a client drops a download).
    """
    if name == schema.PERFORMANCE.name:
        yield from _performance_batches(filters or AppealFilters(), **options)
        return
    query = dataset_query(name, filters or AppealFilters(), **options)
    # Parameters are rendered inline by SQLAlchemy's literal processors (through the column
    # types: datetimes become naive UTC, strings are quoted); every value comes from a
    # validated filter. The DBAPI cursor is then read directly, without Row objects.
    sql = compiled_sql(query, engine.dialect)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            with raw.cursor() as setup:  # LocalTimestamp's to_char: local time and offset
                setup.execute(f"SET LOCAL TIME ZONE '{TIMEZONE}'")
            cursor = raw.cursor(name=f"export_{uuid.uuid4().hex[:12]}")  # server-side
            cursor.itersize = batch_rows
        else:
            cursor = raw.cursor()
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(batch_rows):
                yield batch
        finally:
            cursor.close()
            conn.rollback()


def compiled_sql(query: Select, dialect) -> str:
    """The SQL text of an export query, with its (validated) values inline.

    On SQLite the appeals table is read NOT INDEXED, i.e. in rowid (= id) order: the rows
    then come out in the ORDER BY without a temporary B-tree holding the whole result
    (which an index on status, city or date would need). Filtered downloads scan the table
    too, which is still a sequential read in constant memory.
    """
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "sqlite":
        sql = sql.replace("\nFROM appeals ", "\nFROM appeals NOT INDEXED ", 1)
    return sql


def count_rows(engine: Engine, name: str, filters: AppealFilters | None = None, **options) -> int:
    """How many rows dataset ``name`` has (for progress bars)."""
    if name == schema.PERFORMANCE.name:
        return sum(len(batch) for batch in _performance_batches(filters or AppealFilters()))
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
    names = schema.PERFORMANCE.names
    if rows:
        yield [tuple(getattr(row, name) for name in names) for row in rows]


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
