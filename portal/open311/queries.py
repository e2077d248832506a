"""The SELECTs behind the Open311 API (public columns only, like portal.queries).

Open311 "services" are the categories of one city (the jurisdiction); "service requests"
are published appeals, read through ``portal.queries.appeals.public_appeals_select``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

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
from portal.queries.appeals import public_appeals_select, to_record
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
    """
    select_ = public_appeals_select()
    if query.service_request_id:
        select_ = select_.where(Appeal.public_id.in_(query.service_request_id))
    else:
        select_ = select_.where(City.slug == city)
        if query.service_code:
            select_ = select_.where(Category.code.in_(query.service_code))
        if query.status:
            statuses = [s for name in query.status for s in STATUS_MAP[name]]
            select_ = select_.where(Appeal.status.in_(statuses))
        start, end = query.start_date, query.end_date
        if not query.has_dates:
            start, end = now - MAX_WINDOW, None
        elif start and not end:
            end = start + MAX_WINDOW
        elif end and not start:
            start = end - MAX_WINDOW
        if start:
            select_ = select_.where(Appeal.submitted_at >= start)
        if end:
            select_ = select_.where(Appeal.submitted_at <= end)
        if query.updated_after:
            select_ = select_.where(Appeal.updated_at >= query.updated_after)
        if query.updated_before:
            select_ = select_.where(Appeal.updated_at <= query.updated_before)
    select_ = (
        select_.order_by(Appeal.submitted_at.desc(), Appeal.id.desc())
        .limit(page_size)
        .offset((query.page - 1) * page_size)
    )
    return [to_record(row) for row in db.session.execute(select_)]


def token_status(public_id: str) -> AppealStatus | None:
    """The status of the appeal with this public id (any status), or None."""
    return db.session.scalars(select(Appeal.status).where(Appeal.public_id == public_id)).first()


def first_photos(public_ids: Sequence[str]) -> dict[str, str]:
    """public id of an appeal → public id of its first photo (published appeals only)."""
    if not public_ids:
        return {}
    query = (
        select(Appeal.public_id, Photo.public_id)
        .join(Appeal, Appeal.id == Photo.appeal_id)
        .where(
            Appeal.public_id.in_(public_ids),
            Appeal.status.in_(PUBLIC_STATUSES),
            Photo.answer_id.is_(None),
        )
        .order_by(Photo.id)
    )
    photos: dict[str, str] = {}
    for appeal_id, photo_id in db.session.execute(query):
        photos.setdefault(appeal_id, photo_id)
    return photos
