"""Shared pieces of the write use cases: errors, public ids, events, deadlines."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ClauseElement

from portal.database import upsert_insert
from portal.extensions import db
from portal.models import (
    Appeal,
    AppealStatus,
    Category,
    EventKind,
    PublicIdCounter,
    StatusEvent,
    utcnow,
)
from portal.workdays import WorkCalendar


class ServiceError(Exception):
    """A use case refused its input; ``message`` is translated and shown to the user."""

    status_code = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(ServiceError):
    status_code = 404


class Forbidden(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    """The action does not fit the appeal's current state (e.g. rating twice)."""

    status_code = 409


@contextmanager
def transaction():
    """One use case, one commit: everything inside is stored, or nothing is."""
    try:
        yield db.session
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def work_calendar() -> WorkCalendar:
    """The application's working-day calendar (built once per application)."""
    calendar = current_app.extensions.get("portal.calendar")
    if calendar is None:
        calendar = WorkCalendar(
            current_app.config["EXTRA_HOLIDAYS"], current_app.config["EXTRA_WORKING_DAYS"]
        )
        current_app.extensions["portal.calendar"] = calendar
    return calendar


def deadline_days(category: Category) -> int:
    """The category's answer deadline in working days (statutory default unless set)."""
    return category.deadline_days or current_app.config["DEFAULT_DEADLINE_DAYS"]


def compute_due_at(category: Category, start: datetime) -> datetime:
    """When the answer is due for an appeal of ``category`` registered at ``start``."""
    return work_calendar().due_at(start, deadline_days(category))


def format_public_id(city_code: str, year: int, number: int) -> str:
    """ "BSK-2026-000123": city, year, a number never reused within them."""
    return f"{city_code}-{year}-{number:06d}"


def allocate_public_ids(city_code: str, year: int, count: int = 1) -> list[str]:
    """Reserve ``count`` consecutive public ids in the current transaction.

    One atomic statement creates the city's counter for the year or advances it and
    returns the new value (INSERT … ON CONFLICT DO UPDATE … RETURNING, on SQLite and
    PostgreSQL alike): the first submissions of a year cannot race to create the row, and
    the row stays locked until commit, so no two submissions receive the same number.
    """
    insert = upsert_insert(db.session)
    statement = (
        insert(PublicIdCounter)
        .values(city_code=city_code, year=year, last_number=count)
        .on_conflict_do_update(
            index_elements=[PublicIdCounter.city_code, PublicIdCounter.year],
            set_={"last_number": PublicIdCounter.last_number + count},
        )
        .returning(PublicIdCounter.last_number)
    )
    last = db.session.execute(statement).scalar_one()
    return [format_public_id(city_code, year, n) for n in range(last - count + 1, last + 1)]


def claim_transition(appeal: Appeal, expected: tuple[AppealStatus, ...], **values) -> bool:
    """Change the appeal only if it is still in one of the ``expected`` states.

    A conditional UPDATE, the first write of the use case: on PostgreSQL a concurrent
    request waits for the row and then finds nothing to update; on SQLite the database's
    write lock serialises them the same way. False when another request got there first;
    on success the loaded ``appeal`` carries the new values.
    """
    claimed = db.session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.status.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    for name, value in values.items():
        if isinstance(value, ClauseElement):  # computed by the database: read it back
            db.session.expire(appeal, [name])
        else:
            set_committed_value(appeal, name, value)
    return True


def record_event(
    appeal: Appeal,
    kind: EventKind,
    *,
    at: datetime | None = None,
    service_id: int | None = None,
    to_service_id: int | None = None,
    staff_id: int | None = None,
) -> StatusEvent:
    """Append an event to the appeal's log (the public timeline) and touch the appeal.

    A note on the event is public text: ``portal.services.publication`` writes it.
    """
    at = at or utcnow()
    event = StatusEvent(
        appeal_id=appeal.id,
        kind=kind,
        created_at=at,
        service_id=service_id if service_id is not None else appeal.service_id,
        to_service_id=to_service_id,
        private_staff_id=staff_id,
    )
    db.session.add(event)
    appeal.updated_at = at
    return event
