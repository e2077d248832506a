"""Factory fixtures: builders that create domain objects directly in the database.

They bypass the use cases on purpose (to set up any state quickly); tests of the use
cases themselves go through ``portal.services``. Published columns are written under
``publication.fixture_writes()``: the gate refuses any other writer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from opendata.geomask import BBox, mask_point
from portal.extensions import db
from portal.models import (
    Answer,
    Appeal,
    AppealPrivate,
    AppealStatus,
    Category,
    City,
    Contact,
    EventKind,
    Service,
    StaffRole,
    StaffUser,
    StatusEvent,
    utcnow,
)
from portal.services.core import allocate_public_ids, compute_due_at
from portal.services.publication import fixture_writes


def city_by_slug(slug: str) -> City:
    return db.session.scalars(select(City).where(City.slug == slug)).one()


def category_by_code(city: City, code: str) -> Category:
    return db.session.scalars(
        select(Category).where(Category.city_id == city.id, Category.code == code)
    ).one()


@pytest.fixture
def make_appeal(app):
    """Build an appeal: ``make_appeal(status="published", text=..., lat=..., lon=...)``."""

    def build(
        *,
        city: str = "bishkek",
        category: str = "pothole",
        status: AppealStatus | str = AppealStatus.PUBLISHED,
        text: str = "Глубокая яма на дороге возле остановки, машины объезжают по встречке.",
        public_text: str | None = None,
        lat: float = 42.8746,
        lon: float = 74.6122,
        language: str = "ru",
        submitted_at: datetime | None = None,
        contact: dict | None = None,
        service: str | None = None,
    ) -> Appeal:
        city_row = city_by_slug(city)
        category_row = category_by_code(city_row, category)
        submitted_at = submitted_at or utcnow() - timedelta(days=1)
        status = AppealStatus(status)
        service_row = (
            db.session.scalars(select(Service).where(Service.code == service)).one()
            if service
            else category_row.default_service
        )
        appeal = Appeal(
            public_id=allocate_public_ids(city_row.code, submitted_at.year)[0],
            city=city_row,
            district=city_row.districts[0],
            category=category_row,
            service=service_row,
            status=status,
            submitted_at=submitted_at,
            due_at=compute_due_at(category_row, submitted_at),
        )
        appeal.private = AppealPrivate(raw_text=text, lat=lat, lon=lon, language=language)
        db.session.add(appeal)
        db.session.flush()
        if contact:
            db.session.add(Contact(appeal_id=appeal.id, **contact))
        db.session.add(
            StatusEvent(
                appeal_id=appeal.id,
                kind=EventKind.SUBMITTED,
                created_at=submitted_at,
                service_id=service_row.id,
            )  # fmt: skip
        )
        if status is not AppealStatus.SUBMITTED and status is not AppealStatus.REJECTED:
            bbox = BBox(city_row.min_lat, city_row.min_lon, city_row.max_lat, city_row.max_lon)
            masked = mask_point(lat=lat, lon=lon, tier=category_row.privacy_tier.value, city=bbox)
            appeal.published_at = submitted_at + timedelta(hours=2)
            with fixture_writes():
                appeal.public_text = public_text if public_text is not None else text
                if masked:
                    appeal.public_lat, appeal.public_lon = masked.lat, masked.lon
                    appeal.location_precision_m = masked.precision_m
            db.session.add(
                StatusEvent(
                    appeal_id=appeal.id,
                    kind=EventKind.PUBLISHED,
                    created_at=appeal.published_at,
                    service_id=service_row.id,
                )  # fmt: skip
            )
        db.session.commit()
        return appeal

    return build


@pytest.fixture
def make_answer(app):
    """Attach a published answer to an appeal (status becomes answered)."""

    def build(appeal: Appeal, text: str = "Работы выполнены.", at: datetime | None = None):
        at = at or utcnow()
        with fixture_writes():
            answer = Answer(
                appeal_id=appeal.id, service_id=appeal.service_id, round=appeal.reopen_count + 1,
                created_at=at, public_text=text, private_raw_text=text,
            )  # fmt: skip
        db.session.add(answer)
        appeal.status = AppealStatus.ANSWERED
        appeal.first_answer_at = appeal.first_answer_at or at
        appeal.last_answer_at = at
        db.session.add(
            StatusEvent(
                appeal_id=appeal.id,
                kind=EventKind.ANSWERED,
                created_at=at,
                service_id=appeal.service_id,
            )  # fmt: skip
        )
        db.session.commit()
        return answer

    return build


@pytest.fixture
def make_staff(app):
    """Create a staff account: ``make_staff(role="service", service="bsk-roads")``."""
    from werkzeug.security import generate_password_hash

    counter = {"n": 0}

    def build(role: str = "moderator", service: str | None = None,
              password: str = "correct horse battery") -> StaffUser:  # fmt: skip
        counter["n"] += 1
        service_row = (
            db.session.scalars(select(Service).where(Service.code == service)).one()
            if service
            else None
        )
        user = StaffUser(
            email=f"staff{counter['n']}@city.test", private_name=f"Staff Person {counter['n']}",
            password_hash=generate_password_hash(password), role=StaffRole(role),
            service=service_row,
        )  # fmt: skip
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def login_as(client):
    """Log a staff user in on ``client`` without going through the login form."""

    def login(user: StaffUser) -> None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        # The test's app context (and so ``g``) outlives requests: forget the user
        # Flask-Login cached there, so that switching users within a test takes effect.
        from flask import g, has_app_context

        if has_app_context():
            g.pop("_login_user", None)

    return login
