"""Moderation: the one gate through which an appeal's private data becomes public.

``publish_appeal`` derives the public text (the moderator's edit, or the scrubbed raw
text) and the masked point (by the category's privacy tier) and nothing else; the raw
text, the exact point and the contact stay in their private tables for audit.
``auto_publish_if_clean`` is the same gate without a moderator, for the submission use
case (``AUTO_PUBLISH``). The read helpers at the bottom feed the staff moderation pages:
they read private data and therefore live here, not in ``portal.queries`` (public only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from opendata.geomask import BBox, MaskedPoint, mask_point
from portal import labels
from portal.extensions import db
from portal.models import (
    PUBLIC_STATUSES,
    Answer,
    Appeal,
    AppealPrivate,
    AppealStatus,
    City,
    EventKind,
    Photo,
    PrivacyTier,
    RejectionReason,
    StaffUser,
    utcnow,
)
from portal.services.core import Conflict, NotFound, ServiceError, record_event, transaction
from portal.services.permissions import ensure_can

#: Longest public text a moderator may write (the citizen form has the same limit).
MAX_PUBLIC_TEXT = 5000


# --- The scrubber (written by the anonymizer; imported lazily, Flask-free) ---------------


def scrub_text(text: str, lang: str | None = None) -> str:
    """``opendata.anonymize.scrub_text``: personal data replaced by typed placeholders."""
    from opendata.anonymize import scrub_text as scrub

    return scrub(text, lang=lang)


def find_pii(text: str, lang: str | None = None) -> list:
    """``opendata.anonymize.find_pii``: the spans the scrubber would replace."""
    from opendata.anonymize import find_pii as find

    return list(find(text, lang=lang))


def is_risky(text: str, lang: str | None = None) -> bool:
    """``opendata.anonymize.is_risky``: True when a person should look before publishing."""
    from opendata.anonymize import is_risky as risky

    return bool(risky(text, lang=lang))


def screen_text(text: str | None, lang: str | None = None) -> tuple[str | None, bool]:
    """(scrubbed text, needs a moderator?) for answers and rating comments.

    The answer and rating use cases call this so that everything published passes the same
    scrubber; when the scrubber flags the text, the public text is withheld (None) until a
    moderator approves it (``approve_answer``).
    """
    if text is None or not text.strip():
        return None, False
    if is_risky(text, lang):
        return None, True
    return scrub_text(text, lang), False


# --- Location ------------------------------------------------------------------------------


def city_bbox(city: City) -> BBox:
    return BBox(city.min_lat, city.min_lon, city.max_lat, city.max_lon)


def masked_location(appeal: Appeal) -> MaskedPoint | None:
    """The point that will be published for the appeal (None for sensitive categories)."""
    private = appeal.private
    return mask_point(
        lat=private.lat,
        lon=private.lon,
        tier=appeal.category.privacy_tier.value,
        city=city_bbox(appeal.city),
    )


# --- Write use cases -------------------------------------------------------------------------


def _locked_appeal(appeal_id: int) -> Appeal:
    """The appeal, locked for this transaction (PostgreSQL) so two moderators cannot race."""
    appeal = db.session.scalars(
        select(Appeal)
        .where(Appeal.id == appeal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if appeal is None:
        raise NotFound(_("No such appeal."))
    return appeal


def _claim(appeal: Appeal, status: AppealStatus) -> None:
    """Move the appeal out of moderation, or raise Conflict when it already left it.

    A conditional UPDATE is the first write of the use case: on PostgreSQL a concurrent
    moderator waits for the row and then finds nothing to update; on SQLite the write
    lock serialises them the same way. So an appeal is published or rejected only once.
    """
    if appeal.status is not AppealStatus.SUBMITTED:
        raise Conflict(_("This appeal has already been moderated."))
    claimed = db.session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.status == AppealStatus.SUBMITTED)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("This appeal has already been moderated."))
    appeal.status = status


def _publish(
    appeal: Appeal, *, public_text: str | None, staff_id: int | None, at: datetime | None = None
) -> Appeal:
    """Publish inside the caller's transaction (no commit): the single gate."""
    _claim(appeal, AppealStatus.PUBLISHED)
    private: AppealPrivate = appeal.private
    scrubbed = scrub_text(private.raw_text, private.language)
    edited = (public_text or "").replace("\r\n", "\n").strip()
    if len(edited) > MAX_PUBLIC_TEXT:
        message = _("The text is too long.")
        raise ServiceError(message, {"public_text": [message]})
    if edited and edited != scrubbed.strip():
        private.moderated_text = edited  # kept apart from the raw text, for audit
        appeal.public_text = edited
    else:
        appeal.public_text = scrubbed
    masked = masked_location(appeal)
    if masked is None:
        appeal.public_lat = appeal.public_lon = appeal.location_precision_m = None
    else:
        appeal.public_lat, appeal.public_lon = masked.lat, masked.lon
        appeal.location_precision_m = masked.precision_m
    at = at or utcnow()
    appeal.published_at = at
    record_event(appeal, EventKind.PUBLISHED, at=at, staff_id=staff_id)
    return appeal


def publish_appeal(appeal_id: int, moderator: StaffUser, public_text: str | None = None) -> Appeal:
    """Approve a submitted appeal: scrubbed (or moderator-edited) text, masked point."""
    ensure_can(moderator, "moderate")
    with transaction():
        appeal = _locked_appeal(appeal_id)
        _publish(appeal, public_text=public_text, staff_id=moderator.id)
    return appeal


def _public_appeal_id(public_id: str, *, exclude: int) -> int:
    """The id of a published appeal given by its public id (the original of a duplicate)."""
    row = db.session.execute(
        select(Appeal.id, Appeal.status).where(Appeal.public_id == public_id.strip().upper())
    ).first()
    if row is None or row.id == exclude or row.status not in PUBLIC_STATUSES:
        message = _("No published appeal has this number.")
        raise ServiceError(message, {"duplicate_of": [message]})
    return row.id


def rejection_note(reason: RejectionReason, duplicate_of: str | None = None) -> str:
    """The public reason shown on the citizen's tracking page (portal's default language)."""
    with force_locale(current_app.config["LANGUAGES"][0]):
        note = str(labels.REJECTION[reason.value])
    return f"{note}: {duplicate_of}" if duplicate_of else note


def reject_appeal(
    appeal_id: int, moderator: StaffUser, reason: str, duplicate_of: str | None = None
) -> Appeal:
    """Refuse a submitted appeal with a public reason; nothing of it is ever published."""
    ensure_can(moderator, "moderate")
    try:
        reason_value = RejectionReason(reason)
    except ValueError:
        message = _("Choose a reason.")
        raise ServiceError(message, {"reason": [message]}) from None
    with transaction():
        appeal = _locked_appeal(appeal_id)
        if appeal.status is not AppealStatus.SUBMITTED:
            raise Conflict(_("This appeal has already been moderated."))
        original_public_id = None
        if reason_value is RejectionReason.DUPLICATE:
            if not duplicate_of:
                message = _("Give the number of the original appeal.")
                raise ServiceError(message, {"duplicate_of": [message]})
            appeal.duplicate_of_id = _public_appeal_id(duplicate_of, exclude=appeal.id)
            original_public_id = duplicate_of.strip().upper()
        _claim(appeal, AppealStatus.REJECTED)
        appeal.rejection_reason = reason_value
        record_event(
            appeal,
            EventKind.REJECTED,
            public_note=rejection_note(reason_value, original_public_id),
            staff_id=moderator.id,
        )
    return appeal


def approve_answer(answer_id: int, moderator: StaffUser, public_text: str | None = None) -> Answer:
    """Publish an answer the scrubber flagged: the moderator's edit or the scrubbed text."""
    ensure_can(moderator, "moderate")
    with transaction():
        answer = db.session.scalars(
            select(Answer).where(Answer.id == answer_id).with_for_update()
        ).first()
        if answer is None:
            raise NotFound(_("No such answer."))
        if not answer.needs_moderation:
            raise Conflict(_("This answer does not wait for moderation."))
        if public_text is not None and public_text.strip():
            answer.public_text = public_text.strip()[:MAX_PUBLIC_TEXT]
        else:
            language = answer.appeal.private.language if answer.appeal.private else None
            answer.public_text = scrub_text(answer.private_raw_text, language)
        answer.needs_moderation = False
        answer.appeal.updated_at = utcnow()
    return answer


def auto_publish_if_clean(appeal: Appeal) -> bool:
    """Publish a just-submitted appeal without a moderator when AUTO_PUBLISH is on and the
    scrubber finds nothing risky. Runs inside the caller's transaction: never commits."""
    if not current_app.config.get("AUTO_PUBLISH", False):
        return False
    private = appeal.private
    if private is None or is_risky(private.raw_text, private.language):
        return False
    if appeal.id is None:
        db.session.flush()
    _publish(appeal, public_text=None, staff_id=None)
    return True


# --- Reads for the staff pages (private data: moderators only) -------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class PhotoRef:
    public_id: str
    width: int
    height: int


@dataclass(frozen=True)
class ModerationCase:
    """Everything a moderator needs to decide on one appeal."""

    appeal: Appeal
    raw_text: str
    language: str
    spans: list
    scrubbed_text: str
    risky: bool
    exact_lat: float
    exact_lon: float
    address_text: str | None
    masked: MaskedPoint | None
    tier: PrivacyTier
    photos: list[PhotoRef]


def _page(query, count_query, page: int, per_page: int) -> Page:
    total = db.session.scalar(count_query) or 0
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def appeal_queue(moderator: StaffUser, page: int = 1, per_page: int = 25) -> Page:
    """Submitted appeals, oldest first."""
    ensure_can(moderator, "moderate")
    waiting = Appeal.status == AppealStatus.SUBMITTED
    query = (
        select(Appeal)
        .where(waiting)
        .options(
            selectinload(Appeal.category),
            selectinload(Appeal.city),
            selectinload(Appeal.private),
        )
        .order_by(Appeal.submitted_at, Appeal.id)
    )
    return _page(query, select(func.count()).select_from(Appeal).where(waiting), page, per_page)


def moderation_case(moderator: StaffUser, appeal_id: int) -> ModerationCase:
    """A submitted appeal with its raw and scrubbed text, points and photos."""
    ensure_can(moderator, "moderate")
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or appeal.private is None:
        raise NotFound(_("No such appeal."))
    private = appeal.private
    photos = [
        PhotoRef(public_id, width, height)
        for public_id, width, height in db.session.execute(
            select(Photo.public_id, Photo.width, Photo.height)
            .where(Photo.appeal_id == appeal.id)
            .order_by(Photo.id)
        )
    ]
    return ModerationCase(
        appeal=appeal,
        raw_text=private.raw_text,
        language=private.language,
        spans=find_pii(private.raw_text, private.language),
        scrubbed_text=scrub_text(private.raw_text, private.language),
        risky=is_risky(private.raw_text, private.language),
        exact_lat=private.lat,
        exact_lon=private.lon,
        address_text=private.address_text,
        masked=masked_location(appeal),
        tier=appeal.category.privacy_tier,
        photos=photos,
    )


def answer_queue(moderator: StaffUser, page: int = 1, per_page: int = 25) -> Page:
    """Answers the scrubber flagged, oldest first."""
    ensure_can(moderator, "moderate")
    waiting = Answer.needs_moderation.is_(True)
    query = (
        select(Answer)
        .where(waiting)
        .options(selectinload(Answer.appeal), selectinload(Answer.service))
        .order_by(Answer.created_at, Answer.id)
    )
    return _page(query, select(func.count()).select_from(Answer).where(waiting), page, per_page)


@dataclass(frozen=True)
class AnswerCase:
    answer: Answer
    raw_text: str
    language: str | None
    spans: list
    scrubbed_text: str


def answer_case(moderator: StaffUser, answer_id: int) -> AnswerCase:
    """A flagged answer with its raw and scrubbed text."""
    ensure_can(moderator, "moderate")
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        raise NotFound(_("No such answer."))
    language = answer.appeal.private.language if answer.appeal.private else None
    raw = answer.private_raw_text
    return AnswerCase(answer, raw, language, find_pii(raw, language), scrub_text(raw, language))


def staff_photo(moderator: StaffUser, public_id: str) -> Photo:
    """A stored (re-encoded) photo, for moderators."""
    ensure_can(moderator, "moderate")
    photo = db.session.scalars(select(Photo).where(Photo.public_id == public_id)).first()
    if photo is None:
        raise NotFound(_("No such photo."))
    return photo
