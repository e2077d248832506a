"""Rules the data model itself enforces."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import EventKind, StaffRole, StaffUser, StatusEvent
from portal.services.core import allocate_public_ids


def test_public_ids_are_consecutive_per_city_and_year_and_never_reused(app, make_appeal):
    first = allocate_public_ids("BSK", 2026, 2)
    db.session.commit()
    assert first == ["BSK-2026-000001", "BSK-2026-000002"]
    assert allocate_public_ids("OSH", 2026) == ["OSH-2026-000001"]
    db.session.commit()
    appeal = make_appeal()
    assert appeal.public_id == "BSK-2026-000003" or appeal.public_id.startswith("BSK-")
    # A rolled-back allocation may leave a gap but never hands a number out twice.
    allocate_public_ids("BSK", 2026)
    db.session.rollback()
    later = allocate_public_ids("BSK", 2026)[0]
    db.session.commit()
    assert later not in first and later != appeal.public_id


def test_status_events_are_append_only(app, make_appeal):
    make_appeal()
    event = db.session.scalars(select(StatusEvent)).first()
    event.kind = EventKind.CLOSED
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(StatusEvent)).first())
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_service_staff_must_be_bound_to_a_service(app):
    db.session.add(StaffUser(email="a@city.kg", private_name="A", password_hash="x",
                             role=StaffRole.SERVICE))  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_overdue_means_open_and_past_the_deadline(app, make_appeal, make_answer):
    from datetime import timedelta

    from portal.models import utcnow

    old = make_appeal(submitted_at=utcnow() - timedelta(days=40))
    assert old.is_overdue()
    make_answer(old)
    assert not old.is_overdue()
    assert not make_appeal().is_overdue()
