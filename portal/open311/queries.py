"""The SELECTs behind the Open311 API (public columns only, like portal.queries).

Open311 "services" are the categories of one city (the jurisdiction); "service requests"
are published appeals, read as public records (``portal.queries.record.APPEAL``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, String, select, type_coerce

from opendata.records import AppealRecord
from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    Appeal,
    AppealStatus,
    Category,
    City,
    Photo,
    Service,
)
from portal.queries.appeals import public_appeals_by_ids
from portal.queries.map_index import ids_in_order
from portal.queries.record import APPEAL, appeal_joins
from portal.queries.search import text_matches
from portal.schemas.open311 import MAX_WINDOW, RequestQuery

#: Appeal statuses behind Open311's two: answered-but-not-closed is still "open".
STATUS_MAP = {
    "open": (*OPEN_STATUSES, AppealStatus.ANSWERED),
    "closed": (AppealStatus.CLOSED,),
}


@dataclass(frozen=True)
class ServiceType:
    """An Open311 service: a category of one city and the service that answers it."""

    code: str
    names: dict[str, str]  # language → name
    group: str
    deadline_days: int | None
    privacy_tier: str
    agency_code: str
    agency_names: dict[str, str]


def city_slugs() -> list[str]:
    """Every jurisdiction (city slug)."""
    return list(db.session.scalars(select(City.slug).order_by(City.id)))


def service_types(city: str, code: str | None = None) -> list[ServiceType]:
    """Active categories of ``city`` (or just ``code``), in the reference order."""
    query = (
        select(
            Category.code,
            Category.name_ru,
            Category.name_ky,
            Category.name_en,
            Category.group,
            Category.deadline_days,
            Category.privacy_tier,
            Service.code,
            Service.name_ru,
            Service.name_ky,
            Service.name_en,
        )
        .join(City, City.id == Category.city_id)
        .join(Service, Service.id == Category.default_service_id)
        .where(City.slug == city, Category.active)
        .order_by(Category.id)
    )
    if code is not None:
        query = query.where(Category.code == code)
    return [
        ServiceType(
            code=row[0],
            names={"ru": row[1], "ky": row[2], "en": row[3]},
            group=row[4],
            deadline_days=row[5],
            privacy_tier=row[6].value,
            agency_code=row[7],
            agency_names={"ru": row[8], "ky": row[9], "en": row[10]},
        )
        for row in db.session.execute(query)
    ]


def find_requests(
    query: RequestQuery, *, city: str, page_size: int, now: datetime
) -> list[AppealRecord]:
    """One page of published appeals matching the Open311 arguments, newest first.

    ``service_request_id`` overrides every other argument (as the specification says).
    Without any date argument the window is the 90 days before ``now``; with only one end
    of ``start_date``/``end_date`` the window is the 90 days on the other side of it.
    The page's ids are chosen first; only their records are then read.
    """
    field = APPEAL.columns
    select_ = _published_ids()
    if query.service_request_id:
        select_ = select_.where(field["id"].in_(query.service_request_id))
    else:
        select_ = _matching(select_, query, city=city, now=now)
    select_ = (
        select_.order_by(field["submitted_at"].desc(), Appeal.id.desc())
        .limit(page_size)
        .offset((query.page - 1) * page_size)
    )
    ids = list(db.session.scalars(select_))
    return ids_in_order(ids, public_appeals_by_ids(ids))


def _published_ids() -> Select:
    """SELECT the ids of published appeals, with the status rule written so that no index
    serves it: without statistics, SQLite otherwise reads every published appeal of the
    city through the status index and sorts them all (1.9 s at 1M appeals), where walking
    the submission-time index newest first stops after a page (20 ms)."""
    return appeal_joins(select(Appeal.id)).where(_without_index(Appeal.status).in_(PUBLIC_STATUSES))


def _matching(select_: Select, query: RequestQuery, *, city: str, now: datetime) -> Select:
    """The arguments besides service_request_id, as conditions on published fields."""
    field = APPEAL.columns
    select_ = select_.where(Appeal.city_id == _city_id(city))
    if query.service_code:
        category_ids = _category_ids(city, query.service_code)
        select_ = select_.where(_unindexed(Appeal.category_id).in_(category_ids))
    if query.status:
        statuses = [s for name in query.status for s in STATUS_MAP[name]]
        select_ = select_.where(_unindexed(Appeal.status).in_(statuses))
    start, end = query.start_date, query.end_date
    if not query.has_dates:
        start, end = now - MAX_WINDOW, None
    elif start and not end:
        end = start + MAX_WINDOW
    elif end and not start:
        start = end - MAX_WINDOW
    limits = (
        ("submitted_at", operator.ge, start),
        ("submitted_at", operator.le, end),
        ("updated_at", operator.ge, query.updated_after),
        ("updated_at", operator.le, query.updated_before),
    )
    for name, compare, value in limits:
        if value:
            select_ = select_.where(compare(field[name], value))
    if query.q:
        select_ = select_.where(text_matches(query.q))
    return select_


def _unindexed(column) -> ColumnElement:
    """On SQLite, ``column`` written so that no index serves it: without statistics SQLite
    prefers an equality index (a category's or a status's every appeal ever, 150-330 ms at
    1M) to walking the submission-time index newest first (10-50 ms). PostgreSQL keeps the
    column: it walks that index with both in its condition."""
    return _without_index(column) if db.session.get_bind().dialect.name == "sqlite" else column


def _without_index(column) -> ColumnElement:
    """``column`` as an expression no index serves (``+ 0``, ``|| ''``), bound as the column."""
    if column.type.python_type is int:
        return column + 0
    return type_coerce(type_coerce(column, String).concat(""), column.type)


def _city_id(city: str) -> int | None:
    """The city's key, read first: with keys as literals, the planner walks the
    submission-time index newest first with city and category in its condition and stops
    after a page (3 ms at 1M appeals on PostgreSQL), where joining on the slug and codes
    read every match of the 90 days and sorted them (130 ms with a search)."""
    return db.session.scalar(select(City.id).where(City.slug == city))


def _category_ids(city: str, codes: Sequence[str]) -> list[int]:
    """The keys of the city's categories with these codes (see ``_city_id``)."""
    query = select(Category.id).join(City, City.id == Category.city_id)
    return list(db.session.scalars(query.where(City.slug == city, Category.code.in_(codes))))


def token_status(public_id: str) -> AppealStatus | None:
    """The status of the appeal with this public id (any status), or None."""
    return db.session.scalars(select(Appeal.status).where(Appeal.public_id == public_id)).first()


def first_photos(public_ids: Sequence[str]) -> dict[str, str]:
    """public id of an appeal → public id of its first photo (published appeals only)."""
    if not public_ids:
        return {}
    query = (
        select(Appeal.public_id, Photo.public_id, Appeal.status)
        .join(Appeal, Appeal.id == Photo.appeal_id)
        .where(Appeal.public_id.in_(public_ids), Photo.answer_id.is_(None))
        .order_by(Photo.id)
    )
    photos: dict[str, str] = {}
    for appeal_id, photo_id, status in db.session.execute(query):
        # The status rule in Python: in SQL, SQLite's planner (without statistics) reads
        # every published appeal through the status index (queries.appeals).
        if status in PUBLIC_STATUSES:
            photos.setdefault(appeal_id, photo_id)
    return photos
