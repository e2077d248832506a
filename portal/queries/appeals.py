"""Public appeals: lists, one appeal, its timeline and answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import aliased

from opendata.records import AnswerRecord, AppealRecord, TimelineEntry
from portal.extensions import db
from portal.models import (
    PUBLIC_STATUSES,
    Answer,
    Appeal,
    Category,
    City,
    Photo,
    Rating,
    Service,
    StatusEvent,
)
from portal.queries.record import APPEAL, appeal_joins


def public_appeals_select() -> Select:
    """SELECT of the public record (``portal.queries.record.APPEAL``) of published
    appeals, in record field order (add filters and order)."""
    return APPEAL.select()


def to_record(row) -> AppealRecord:
    """An AppealRecord from a row of public_appeals_select() (same fields, same order)."""
    return AppealRecord(*row)


def recent_public_appeals(limit: int = 20, city: str | None = None) -> list[AppealRecord]:
    """The most recently published appeals, newest first."""
    query = public_appeals_select()
    if city:
        query = query.where(City.slug == city)
    query = query.order_by(Appeal.published_at.desc(), Appeal.id.desc()).limit(limit)
    return [to_record(row) for row in db.session.execute(query)]


def public_appeals_by_ids(ids: list[int]) -> dict[int, AppealRecord]:
    """Published appeals by their internal ids (for pages chosen from the map index)."""
    if not ids:
        return {}
    # The status rule is applied here rather than in SQL: given both, SQLite's planner
    # prefers the status index to the primary key and reads every published appeal.
    query = appeal_joins(select(*APPEAL.expressions(), Appeal.id.label("internal_id")))
    return {
        row.internal_id: to_record(row[:-1])
        for row in db.session.execute(query.where(Appeal.id.in_(ids)))
        if row.status in PUBLIC_STATUSES
    }


def public_photo_ids(public_id: str) -> list[str]:
    """Public ids of an appeal's (re-encoded) photos, oldest first."""
    query = (
        select(Photo.public_id)
        .join(Appeal, Appeal.id == Photo.appeal_id)
        .where(
            Appeal.public_id == public_id,
            Appeal.status.in_(PUBLIC_STATUSES),
            Photo.answer_id.is_(None),
        )
        .order_by(Photo.created_at, Photo.id)
    )
    return list(db.session.scalars(query))


def get_public_appeal(public_id: str) -> AppealRecord | None:
    """One published appeal by its public id, or None (unpublished ones are not found)."""
    row = db.session.execute(public_appeals_select().where(Appeal.public_id == public_id)).first()
    return to_record(row) if row else None


def public_timelines(public_ids: Iterable[str]) -> dict[str, list[TimelineEntry]]:
    """The public events of several appeals (services named, staff never)."""
    public_ids = list(public_ids)
    if not public_ids:
        return {}
    source, target = aliased(Service), aliased(Service)
    query = (
        select(
            Appeal.public_id,
            StatusEvent.kind,
            StatusEvent.created_at,
            source.code,
            target.code,
            StatusEvent.public_note,
        )
        .join(Appeal, Appeal.id == StatusEvent.appeal_id)
        .outerjoin(source, source.id == StatusEvent.service_id)
        .outerjoin(target, target.id == StatusEvent.to_service_id)
        .where(Appeal.public_id.in_(public_ids), Appeal.status.in_(PUBLIC_STATUSES))
        .order_by(StatusEvent.created_at, StatusEvent.id)
    )
    events: dict[str, list[TimelineEntry]] = defaultdict(list)
    for appeal, kind, at, service, to_service, note in db.session.execute(query):
        events[appeal].append(TimelineEntry(str(kind.value), at, service, to_service, note))
    return events


def public_timeline(public_id: str) -> list[TimelineEntry]:
    """The appeal's public events in order; staff members are never named."""
    return public_timelines([public_id]).get(public_id, [])


def public_answers_by_appeal(public_ids: Sequence[str]) -> dict[str, list[AnswerRecord]]:
    """The answers of several appeals with their ratings, oldest first: every answer that
    was given, its text only once published (None while a moderator checks it)."""
    if not public_ids:
        return {}
    query = (
        select(
            Answer.id,
            Appeal.public_id,
            Service.code,
            Answer.round,
            Answer.created_at,
            Answer.public_text,
            Rating.score,
            Rating.solved,
            Rating.reason,
            Rating.public_comment,
            Answer.needs_moderation,
            Appeal.status,
        )
        .join(Appeal, Appeal.id == Answer.appeal_id)
        .join(Service, Service.id == Answer.service_id)
        .outerjoin(Rating, Rating.answer_id == Answer.id)
        .where(Appeal.public_id.in_(public_ids))
        .order_by(Answer.created_at, Answer.id)
    )
    answers: dict[str, list[AnswerRecord]] = defaultdict(list)
    for row in db.session.execute(query):
        # The status rule in Python, as in public_appeals_by_ids: in SQL, SQLite's planner
        # (without statistics) reads every published appeal through the status index.
        *row, status = row
        if status not in PUBLIC_STATUSES:
            continue
        id_, appeal, service, round_, created, text, score, solved, reason, comment, held = row
        answers[appeal].append(
            AnswerRecord(
                id_,
                appeal,
                service,
                round_,
                created,
                text,
                score,
                solved.value if solved else None,
                reason.value if reason else None,
                comment,
                bool(held),
            )
        )
    return answers


def public_answers(public_id: str) -> list[AnswerRecord]:
    """Published answers of one appeal with their ratings, oldest first."""
    return public_answers_by_appeal([public_id]).get(public_id, [])


def recent_public_answers(limit: int = 5, city: str | None = None) -> list[tuple]:
    """The latest published answers, newest first by the time they were given:
    (appeal public id, category, city, service, at, text).

    Answers are read newest first in small batches along ix_answers_recent (no join decides
    the plan), so the cost does not grow with the number of appeals.
    """
    found: list[tuple] = []
    before = None
    for _ in range(20):
        query = (
            select(
                Answer.id,
                Appeal.status,
                Appeal.public_id,
                Category.code,
                City.slug,
                Service.code,
                Answer.created_at,
                Answer.public_text,
            )
            .join(Appeal, Appeal.id == Answer.appeal_id)
            .join(City, City.id == Appeal.city_id)
            .join(Category, Category.id == Appeal.category_id)
            .join(Service, Service.id == Answer.service_id)
            .where(Answer.id.in_(_answer_ids_before(before)))
            .order_by(Answer.created_at.desc(), Answer.id.desc())
        )
        rows = db.session.execute(query).all()
        if not rows:
            break
        for row in rows:
            if row.status in PUBLIC_STATUSES and (city is None or row.slug == city):
                found.append(tuple(row)[2:])
                if len(found) == limit:
                    return found
        before = (rows[-1].created_at, rows[-1].id)
    return found


def _answer_ids_before(before: tuple | None, batch: int = 200) -> Select:
    """Ids of the next ``batch`` published answers older than ``before`` (time, id)."""
    query = select(Answer.id).where(Answer.public_text.is_not(None))
    if before is not None:
        at, answer_id = before
        query = query.where(
            or_(Answer.created_at < at, and_(Answer.created_at == at, Answer.id < answer_id))
        )
    return query.order_by(Answer.created_at.desc(), Answer.id.desc()).limit(batch)
