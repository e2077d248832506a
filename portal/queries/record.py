"""The published record in SQL: for every dataset, where each of its fields comes from.

``opendata.schema`` says WHAT is published, field by field; this module says, once, which
SQL expression gives each field. Every public SELECT — pages, the JSON API, Open311, the
map index, the downloads — takes its columns from here by field name. A table that misses
a field of its dataset, or maps one the schema does not declare, is refused when this
module is imported (and by a test), so the two lists cannot drift apart.

Publishing a new appeal field: declare it in ``opendata.schema.APPEALS`` and map it in
``APPEAL.columns`` below; records, API, Open311, OpenAPI and every file follow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy import Integer, Select, String, bindparam, func, literal, select, type_coerce
from sqlalchemy.orm import aliased

from opendata import schema
from opendata.tableschema import Dataset, Field
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
    Supporter,
)
from portal.queries.videos import appeal_video_url

#: ``transform(field, expression)``: how a query wants a field's value (e.g. local text).
Transform = Callable[[Field, Any], Any]


def plain(spec: Field, expression):
    """Codes as plain strings: stored enum values are read without the ORM enum type."""
    if isinstance(getattr(expression, "type", None), SAEnum):
        return type_coerce(expression, String)
    return expression


@dataclass(frozen=True)
class PublishedTable:
    """A dataset's columns in SQL and the rows it publishes."""

    dataset: Dataset
    #: field name → SQL expression, for exactly the dataset's fields
    columns: Mapping[str, Any]
    #: adds FROM, joins and the publication rule (which rows are public) to a SELECT
    source: Callable[[Select], Select]
    #: applies the shared filters (portal.schemas.filters.AppealFilters)
    apply_filters: Callable[[Select, Any], Select]
    order_by: tuple = ()

    def __post_init__(self) -> None:
        missing = set(self.dataset.names) - set(self.columns)
        extra = set(self.columns) - set(self.dataset.names)
        if missing or extra:
            raise RuntimeError(
                f"{self.dataset.name}: fields without SQL {sorted(missing)}, "
                f"SQL without a published field {sorted(extra)}"
            )

    def expressions(self, transform: Transform = plain) -> list:
        """The dataset's columns in field order, each labelled with its field name."""
        return [
            transform(spec, self.columns[spec.name]).label(spec.name)
            for spec in self.dataset.fields
        ]

    def select(self, *extra, transform: Transform = plain) -> Select:
        """SELECT of the published rows (add filters and order)."""
        return self.source(select(*self.expressions(transform), *extra))


# --- Appeals: the public record of an appeal ------------------------------------------------


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


def supporters_count():
    """How many browsers support the appeal in the outer query (correlated)."""
    return (
        select(func.count(Supporter.id))
        .where(Supporter.appeal_id == Appeal.id)
        .correlate(Appeal)
        .scalar_subquery()
    )


_original = aliased(Appeal, name="original_appeal")


def duplicate_of_id():
    """The public id of the original the appeal in the outer query duplicates (correlated)."""
    return (
        select(_original.public_id)
        .where(_original.id == Appeal.duplicate_of_id)
        .correlate(Appeal)
        .scalar_subquery()
    )


def appeal_joins(query: Select) -> Select:
    """FROM appeals with the reference tables its codes (and the shared filters) use."""
    return (
        query.select_from(Appeal)
        .join(City, City.id == Appeal.city_id)
        .outerjoin(District, District.id == Appeal.district_id)
        .join(Category, Category.id == Appeal.category_id)
        .join(Service, Service.id == Appeal.service_id)
    )


def published_appeals(query: Select) -> Select:
    return appeal_joins(query).where(Appeal.status.in_(PUBLIC_STATUSES))


def _filters(query: Select, filters) -> Select:
    from portal.queries.filters import apply_filters

    return apply_filters(query, filters)


def _city_filter(query: Select, filters) -> Select:
    return query.where(City.slug == filters.city) if filters.city else query


APPEAL = PublishedTable(
    schema.APPEALS,
    {
        "id": Appeal.public_id,
        "city": City.slug,
        "district": District.slug,
        "category": Category.code,
        "service": Service.code,
        "status": Appeal.status,
        "resolution": Appeal.resolution,
        "lat": Appeal.public_lat,
        "lon": Appeal.public_lon,
        "location_precision_m": Appeal.location_precision_m,
        "submitted_at": Appeal.submitted_at,
        "published_at": Appeal.published_at,
        "acknowledged_at": Appeal.acknowledged_at,
        "first_answer_at": Appeal.first_answer_at,
        "closed_at": Appeal.closed_at,
        "due_at": Appeal.due_at,
        "deadline_extended": Appeal.deadline_extended,
        "extension_reason": Appeal.extension_reason,
        "on_time": Appeal.answered_on_time,
        "first_answer_workdays": Appeal.first_answer_workdays,
        "reopen_count": Appeal.reopen_count,
        "text": Appeal.public_text,
        "latest_answer_text": latest_answer_text(),
        "rating_score": Appeal.last_score,
        "solved": Appeal.last_solved,
        "updated_at": Appeal.updated_at,
        "photo_count": Appeal.photo_count,
        "channel": Appeal.channel,
        "supporters": supporters_count(),
        "kind": Appeal.kind,
        "outcome": Appeal.outcome,
        "outcome_reason": Appeal.outcome_reason,
        "duplicate_of": duplicate_of_id(),
        "video_url": appeal_video_url(),
    },
    published_appeals,
    _filters,
    (Appeal.id,),
)


# --- The other datasets ---------------------------------------------------------------------

_answering = aliased(Service, name="answering_service")
_rated = aliased(Service, name="rated_service")


def _published_answers(query: Select) -> Select:
    query = query.select_from(Appeal).join(Answer, Answer.appeal_id == Appeal.id)
    query = query.join(_answering, _answering.id == Answer.service_id)
    # Every answer given is listed; its text stays empty until the gate publishes it.
    return published_appeals(query)


def _published_ratings(query: Select) -> Select:
    query = query.select_from(Appeal).join(Rating, Rating.appeal_id == Appeal.id)
    query = query.join(_rated, _rated.id == Rating.service_id)
    return published_appeals(query)


def _withdrawn(query: Select) -> Select:
    query = query.select_from(Appeal).join(City, City.id == Appeal.city_id)
    return query.where(Appeal.status == AppealStatus.WITHDRAWN)


ANSWERS = PublishedTable(
    schema.ANSWERS,
    {
        "id": Answer.id,
        "appeal_id": Appeal.public_id,
        "service": _answering.code,
        "round": Answer.round,
        "created_at": Answer.created_at,
        "text": Answer.public_text,
        "in_moderation": Answer.needs_moderation,
    },
    _published_answers,
    _filters,
    (Answer.id,),
)

RATINGS = PublishedTable(
    schema.RATINGS,
    {
        "answer_id": Rating.answer_id,
        "appeal_id": Appeal.public_id,
        "service": _rated.code,
        "created_at": Rating.created_at,
        "score": Rating.score,
        "solved": Rating.solved,
        "reason": Rating.reason,
        "comment": Rating.public_comment,
    },
    _published_ratings,
    _filters,
    (Rating.appeal_id, Rating.id),
)

#: Tombstones: only the id, the city, when and why (of the shared filters: city only).
WITHDRAWN = PublishedTable(
    schema.WITHDRAWN,
    {
        "id": Appeal.public_id,
        "city": City.slug,
        "withdrawn_at": func.coalesce(Appeal.withdrawn_at, Appeal.updated_at),
        "reason": func.coalesce(
            type_coerce(Appeal.rejection_reason, String), literal("withdrawn", String)
        ),
    },
    _withdrawn,
    _city_filter,
    (Appeal.id,),
)

SERVICES = PublishedTable(
    schema.SERVICES,
    {
        "code": Service.code,
        "city": City.slug,
        "name_ru": Service.name_ru,
        "name_ky": Service.name_ky,
        "name_en": Service.name_en,
        "active": Service.active,
    },
    lambda query: query.select_from(Service).join(City, City.id == Service.city_id),
    _city_filter,
    (Service.id,),
)

#: The portal's default deadline fills categories without their own (bound per query).
DEFAULT_DEADLINE = bindparam("default_deadline", 14, type_=Integer)

CATEGORIES = PublishedTable(
    schema.CATEGORIES,
    {
        "city": City.slug,
        "code": Category.code,
        "group": Category.group,
        "name_ru": Category.name_ru,
        "name_ky": Category.name_ky,
        "name_en": Category.name_en,
        "default_service": Service.code,
        "deadline_days": func.coalesce(Category.deadline_days, DEFAULT_DEADLINE),
        "privacy_tier": Category.privacy_tier,
        "active": Category.active,
    },
    lambda query: (
        query.select_from(Category)
        .join(City, City.id == Category.city_id)
        .join(Service, Service.id == Category.default_service_id)
    ),
    _city_filter,
    (Category.id,),
)

#: Every dataset read by SQL, by name (service_performance is computed: opendata.stats).
TABLES: dict[str, PublishedTable] = {
    table.dataset.name: table
    for table in (APPEAL, ANSWERS, RATINGS, WITHDRAWN, SERVICES, CATEGORIES)
}
