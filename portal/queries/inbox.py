"""The service inbox and reminder lists: appeals routed to one service, by deadline.

Staff-only reads. The caller passes the service id returned by
``permissions.inbox_service_id`` — these functions never decide who may see what.
Sorted by deadline (earliest first), so overdue appeals come first; served by the
``ix_appeals_service_status_due`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, case, func, select

from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    Appeal,
    AppealStatus,
    Category,
    City,
    District,
    Service,
    utcnow,
)
from portal.queries.record import supporters_count
from portal.schemas.staff import InboxFilters
from portal.workdays import WorkCalendar


@dataclass(frozen=True)
class InboxRow:
    public_id: str
    city: str
    category: str
    district: str | None
    status: str
    text: str | None
    submitted_at: datetime
    due_at: datetime
    deadline_extended: bool
    reroute_count: int
    reopen_count: int
    #: Residents who said "this affects me too".
    supporters: int
    #: Working days until the deadline (0: due today; negative: overdue by that many).
    workdays_left: int

    @property
    def overdue(self) -> bool:
        return self.status in {s.value for s in OPEN_STATUSES} and self.due_at < utcnow()


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    overdue: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def workdays_left(calendar: WorkCalendar, today: date, due_at: datetime) -> int:
    """Working days from ``today`` to the deadline's day; negative once it has passed."""
    due_day = calendar.local_date(due_at)
    if due_day >= today:
        return working_days_between(calendar, today, due_day)
    return -max(1, working_days_between(calendar, due_day, today))


@lru_cache(maxsize=256)
def _year_prefix(calendar: WorkCalendar, year: int) -> tuple[int, ...]:
    """Working days of ``year`` up to and including each day (index: day of year - 1)."""
    counts, total, day = [], 0, date(year, 1, 1)
    while day.year == year:
        total += calendar.is_working_day(day)
        counts.append(total)
        day += timedelta(days=1)
    return tuple(counts)


def working_days_between(calendar: WorkCalendar, start: date, end: date) -> int:
    """``calendar.working_days_between`` from per-year prefix sums: an inbox page of
    long-overdue appeals costs a few lookups instead of walking every day since."""
    if end <= start:
        return 0
    first = _year_prefix(calendar, start.year)
    if start.year == end.year:
        return (
            _year_prefix(calendar, end.year)[end.timetuple().tm_yday - 1]
            - first[start.timetuple().tm_yday - 1]
        )
    count = first[-1] - first[start.timetuple().tm_yday - 1]
    for year in range(start.year + 1, end.year):
        count += _year_prefix(calendar, year)[-1]
    return count + _year_prefix(calendar, end.year)[end.timetuple().tm_yday - 1]


def _filtered(query: Select, service_id: int, filters: InboxFilters, now: datetime) -> Select:
    query = query.where(Appeal.service_id == service_id)
    if filters.status:
        query = query.where(Appeal.status == AppealStatus(filters.status))
    else:
        query = query.where(Appeal.status.in_(OPEN_STATUSES))
    if filters.category:
        query = query.where(
            Appeal.category_id.in_(select(Category.id).where(Category.code == filters.category))
        )
    if filters.district:
        query = query.where(
            Appeal.district_id.in_(select(District.id).where(District.slug == filters.district))
        )
    if filters.overdue:
        query = query.where(Appeal.status.in_(OPEN_STATUSES), Appeal.due_at < now)
    if filters.public_id:
        query = query.where(Appeal.public_id == filters.public_id)
    return query


def inbox_page(
    service_id: int,
    filters: InboxFilters,
    *,
    per_page: int,
    calendar: WorkCalendar,
    now: datetime | None = None,
) -> InboxPage:
    """One page of the service's appeals, earliest deadline (overdue) first."""
    now = now or utcnow()
    total, overdue = _inbox_counts(service_id, filters, now)
    today = calendar.local_date(now)
    query = _inbox_rows_query(service_id, filters, now, per_page)
    rows = [_inbox_row(row._mapping, calendar, today) for row in db.session.execute(query)]
    return InboxPage(rows, total, overdue, filters.page, per_page)


def _inbox_row(values, calendar: WorkCalendar, today) -> InboxRow:
    """An inbox row from a row of ``_inbox_rows_query`` (labelled as InboxRow's fields)."""
    return InboxRow(
        **dict(values)
        | {
            "status": values["status"].value,
            "deadline_extended": bool(values["deadline_extended"]),
            "reroute_count": values["reroute_count"] or 0,
            "reopen_count": values["reopen_count"] or 0,
            "workdays_left": workdays_left(calendar, today, values["due_at"]),
        }
    )


def _inbox_counts(service_id: int, filters: InboxFilters, now: datetime) -> tuple[int, int]:
    """How many appeals match the filters, and how many of them are overdue."""
    is_overdue = Appeal.status.in_(OPEN_STATUSES) & (Appeal.due_at < now)
    total, overdue = db.session.execute(
        _filtered(
            select(
                func.count(), func.coalesce(func.sum(case((is_overdue, 1), else_=0)), 0)
            ).select_from(Appeal),
            service_id,
            filters,
            now,
        )
    ).one()
    return total, int(overdue or 0)


def _supporters():
    return supporters_count().label("supporters")


def _inbox_rows_query(service_id: int, filters: InboxFilters, now: datetime, per_page: int):
    """The page's rows: ids paged first (cheap), then joined to the names the inbox shows.

    ``sort=supporters``: most supported first (ties: earliest deadline)."""
    if filters.sort == "supporters":
        ids = _filtered(select(Appeal.id, _supporters()), service_id, filters, now).order_by(
            _supporters().desc(), Appeal.due_at, Appeal.id
        )
    else:
        ids = _filtered(select(Appeal.id), service_id, filters, now).order_by(
            Appeal.due_at, Appeal.id
        )
    ids = ids.limit(per_page).offset((filters.page - 1) * per_page).subquery()
    return (
        select(
            Appeal.public_id,
            City.slug.label("city"),
            Category.code.label("category"),
            District.slug.label("district"),
            Appeal.status,
            Appeal.public_text.label("text"),
            Appeal.submitted_at,
            Appeal.due_at,
            Appeal.deadline_extended,
            Appeal.reroute_count,
            Appeal.reopen_count,
            _supporters(),
        )
        .join(ids, ids.c.id == Appeal.id)
        .join(City, City.id == Appeal.city_id)
        .join(Category, Category.id == Appeal.category_id)
        .outerjoin(District, District.id == Appeal.district_id)
        .order_by(
            *((_supporters().desc(),) if filters.sort == "supporters" else ()),
            Appeal.due_at,
            Appeal.id,
        )
    )


# --- Reminders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderItem:
    public_id: str
    category: str
    due_at: datetime
    overdue: bool


@dataclass
class ServiceReminder:
    service_code: str
    service_name: str
    email: str
    due_soon: list[ReminderItem]
    overdue: list[ReminderItem]


def reminders(*, now: datetime, due_before: datetime) -> list[ServiceReminder]:
    """Per active service with an address: open appeals due before ``due_before``.

    Appeals past their deadline at ``now`` are listed as overdue, the others as due soon.
    """
    query = (
        select(
            Service.code,
            Service.name_ru,
            Service.email,
            Appeal.public_id,
            Category.name_ru,
            Appeal.due_at,
        )
        .join(Appeal, Appeal.service_id == Service.id)
        .join(Category, Category.id == Appeal.category_id)
        .where(
            Service.active.is_(True),
            Service.email.is_not(None),
            Service.email != "",
            Appeal.status.in_(OPEN_STATUSES),
            Appeal.due_at <= due_before,
        )
        .order_by(Service.code, Appeal.due_at, Appeal.id)
    )
    found: dict[str, ServiceReminder] = {}
    for code, name, email, public_id, category, due_at in db.session.execute(query):
        reminder = found.setdefault(code, ServiceReminder(code, name, email, [], []))
        item = ReminderItem(public_id, category, due_at, due_at < now)
        (reminder.overdue if item.overdue else reminder.due_soon).append(item)
    return list(found.values())


# --- One appeal, as its service sees it ---------------------------------------------------------


@dataclass(frozen=True)
class StaffAnswer:
    round: int
    created_at: datetime
    raw_text: str
    public_text: str | None
    internal_note: str | None
    needs_moderation: bool
    photo_ids: list[str]


@dataclass(frozen=True)
class AppealCase:
    """Everything the service needs to work on an appeal (private data included).

    Contact details are not included: they serve only to send the citizen's links.
    """

    appeal: Appeal
    city: str
    category: str
    district: str | None
    service: str
    raw_text: str
    public_text: str | None
    lat: float | None
    lon: float | None
    address: str | None
    photo_ids: list[str]
    answers: list[StaffAnswer]
    timeline: list
    workdays_left: int
    overdue: bool


def appeal_case(appeal: Appeal, *, calendar: WorkCalendar, now: datetime | None = None):
    """The staff view of an appeal the caller is already authorized to see."""
    from portal.models import Answer, Photo
    from portal.queries.appeals import public_timeline

    now = now or utcnow()
    private = appeal.private
    photos = db.session.execute(
        select(Photo.public_id, Photo.answer_id)
        .where(Photo.appeal_id == appeal.id)
        .order_by(Photo.id)
    ).all()
    answers = [
        StaffAnswer(
            a.round,
            a.created_at,
            a.private_raw_text,
            a.public_text,
            a.private_internal_note,
            a.needs_moderation,
            [p for p, answer_id in photos if answer_id == a.id],
        )  # fmt: skip
        for a in db.session.scalars(
            select(Answer).where(Answer.appeal_id == appeal.id).order_by(Answer.created_at)
        )
    ]
    return AppealCase(
        appeal=appeal,
        city=appeal.city.slug,
        category=appeal.category.code,
        district=appeal.district.slug if appeal.district else None,
        service=appeal.service.code,
        raw_text=private.raw_text if private else "",
        public_text=appeal.public_text,
        lat=private.lat if private else None,
        lon=private.lon if private else None,
        address=private.address_text if private else None,
        photo_ids=[p for p, answer_id in photos if answer_id is None],
        answers=answers,
        timeline=public_timeline(appeal.public_id),
        workdays_left=workdays_left(calendar, calendar.local_date(now), appeal.due_at),
        overdue=appeal.is_overdue(now),
    )


def reroute_targets(appeal: Appeal) -> list[Service]:
    """Active services of the appeal's city other than its current one."""
    return list(
        db.session.scalars(
            select(Service)
            .where(
                Service.city_id == appeal.city_id,
                Service.active.is_(True),
                Service.id != appeal.service_id,
            )
            .order_by(Service.code)
        )
    )


def staff_photo(public_id: str):
    """(photo, its appeal) by the photo's public id, or None."""
    from portal.models import Photo

    return db.session.execute(
        select(Photo, Appeal)
        .join(Appeal, Appeal.id == Photo.appeal_id)
        .where(Photo.public_id == public_id)
    ).first()
