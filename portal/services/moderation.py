"""Moderation: the people's side of the publication gate.

``publish_appeal`` and ``reject_appeal`` decide on submitted appeals; ``approve_text``
and ``withhold_text`` decide on the texts the gate held back (answers, rating comments,
staff reasons… whose scrubbing failed or left residual risk). What becomes public is
always written by ``portal.services.publication``; the raw text, the exact point and the
contact stay in their private tables for audit. ``auto_publish_if_clean`` publishes a
clean appeal without a moderator (``AUTO_PUBLISH``). The pages' read helpers are in
``portal.services.moderation_cases``.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal import labels
from portal.extensions import db
from portal.models import (
    PUBLIC_STATUSES,
    Appeal,
    AppealStatus,
    EventKind,
    HeldText,
    RejectionReason,
    StaffUser,
    TextChannel,
    utcnow,
)
from portal.services import publication
from portal.services.core import Conflict, NotFound, ServiceError, record_event, transaction
from portal.services.permissions import ensure_can
from portal.services.publication import Screening


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
    appeal: Appeal,
    *,
    public_text: str | None,
    staff_id: int | None,
    screening: Screening | None = None,
    at: datetime | None = None,
) -> Appeal:
    """Publish inside the caller's transaction (no commit), through the gate."""
    _claim(appeal, AppealStatus.PUBLISHED)
    publication.publish_appeal(appeal, edited=public_text, screening=screening)
    at = at or utcnow()
    appeal.published_at = at
    record_event(appeal, EventKind.PUBLISHED, at=at, staff_id=staff_id)
    return appeal


def publish_appeal(appeal_id: int, moderator: StaffUser, public_text: str | None = None) -> Appeal:
    """Approve a submitted appeal: scrubbed (or moderator-edited) text, masked point.

    Without a working scrubber only the moderator's own text publishes it (ServiceError
    otherwise, and the appeal stays in the queue).
    """
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
        event = record_event(appeal, EventKind.REJECTED, staff_id=moderator.id)
        publication.publish_text(
            TextChannel.REJECTION_NOTE,
            rejection_note(reason_value, original_public_id),
            hint=publication.default_language(),
            appeal=appeal,
            event=event,
        )
    return appeal


def _locked_hold(hold_id: int) -> HeldText:
    """A held text, locked for this transaction so two moderators cannot both decide."""
    hold = db.session.scalars(
        select(HeldText)
        .where(HeldText.id == hold_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if hold is None:
        raise NotFound(_("No such text."))
    return hold


def approve_text(hold_id: int, moderator: StaffUser, public_text: str | None = None) -> HeldText:
    """Publish a held text: the moderator's edit, or the scrubbed text."""
    ensure_can(moderator, "moderate")
    with transaction():
        hold = _locked_hold(hold_id)
        publication.release(hold, moderator, public_text)
    return hold


def withhold_text(hold_id: int, moderator: StaffUser) -> HeldText:
    """Never publish a held text (the answer, reason or comment stays without public text)."""
    ensure_can(moderator, "moderate")
    with transaction():
        hold = _locked_hold(hold_id)
        publication.withhold(hold, moderator)
    return hold


def auto_publish_if_clean(appeal: Appeal) -> bool:
    """Publish a just-submitted appeal without a moderator when AUTO_PUBLISH is on and the
    scrubber ran and found nothing at all. Runs inside the caller's transaction: never
    commits."""
    if not current_app.config.get("AUTO_PUBLISH", False) or appeal.private is None:
        return False
    screening = publication.clean_for_auto_publication(appeal)
    if screening is None:
        return False
    if appeal.id is None:
        db.session.flush()
    _publish(appeal, public_text=None, staff_id=None, screening=screening)
    return True
