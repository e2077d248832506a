"""What a municipal service does with an appeal: acknowledge, answer, set status, reroute,
extend the deadline, state a proposal's outcome.

Each function is one use case and one transaction. It loads the appeal (locked for
update), asks ``permissions.ensure_can`` before anything else — staff of service A get
Forbidden for appeals routed to B, whatever id they send — then checks the appeal's state
(Conflict when the action does not fit) and writes the change plus one public event. The
event names the service (``service_id``); the staff member goes to ``private_staff_id``
only. Texts typed by staff (answers, reasons) become public only through the publication
gate (``portal.services.publication``), which may hold them for a moderator.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    Answer,
    Appeal,
    AppealKind,
    AppealStatus,
    EventKind,
    Photo,
    ProposalOutcome,
    Resolution,
    Service,
    StaffUser,
    TextChannel,
    utcnow,
)
from portal.photos import PhotoRejected, process_photo
from portal.services import publication, support, videos
from portal.services.core import (
    Conflict,
    NotFound,
    ServiceError,
    record_event,
    transaction,
    work_calendar,
)
from portal.services.permissions import ensure_can
from portal.services.row_locks import lock_row, lock_rows

log = logging.getLogger(__name__)

#: States from which a service may close an appeal (an answered one too: "solved").
CLOSABLE_STATUSES = (*OPEN_STATUSES, AppealStatus.ANSWERED)
#: Appeals that may serve as the original of a duplicate.
DUPLICATE_TARGET_STATUSES = (*OPEN_STATUSES, AppealStatus.ANSWERED, AppealStatus.CLOSED)


def load_appeal(user: StaffUser, action: str, public_id: str, *, lock: bool = False) -> Appeal:
    """The appeal ``public_id`` if ``user`` may perform ``action`` on it.

    NotFound when there is no such appeal; Forbidden (before anything else happens) when
    it belongs to another service or the user's role may not do this.
    """
    query = select(Appeal).where(Appeal.public_id == public_id)
    if lock:
        lock_row(public_id)
        # Re-read even an appeal this session already holds: the check must see the
        # state as of the lock, not as of an earlier read in the same request.
        query = query.with_for_update().execution_options(populate_existing=True)
    appeal = db.session.scalars(query).first()
    if appeal is None:
        raise NotFound(_("No such appeal."))
    ensure_can(user, action, appeal)
    return appeal


def _require_status(appeal: Appeal, allowed, message: str) -> None:
    if appeal.status not in allowed:
        raise Conflict(message)


def _not_open() -> str:
    return _("This appeal is not open any more.")


# --- Acknowledge ---------------------------------------------------------------------------


def acknowledge(user: StaffUser, public_id: str, *, now: datetime | None = None) -> Appeal:
    """The service registered the appeal (new or reopened) and will answer it."""
    now = now or utcnow()
    with transaction():
        appeal = load_appeal(user, "acknowledge", public_id, lock=True)
        _require_status(
            appeal,
            (AppealStatus.PUBLISHED, AppealStatus.REOPENED),
            _("Only a new or reopened appeal can be acknowledged."),
        )
        appeal.status = AppealStatus.ACKNOWLEDGED
        appeal.acknowledged_at = appeal.acknowledged_at or now
        record_event(appeal, EventKind.ACKNOWLEDGED, at=now, staff_id=user.id)
    return appeal


# --- Answer --------------------------------------------------------------------------------


def _store_photo(appeal: Appeal, answer: Answer, raw: bytes) -> Photo:
    config = current_app.config
    try:
        processed = process_photo(
            raw, max_bytes=config["MAX_PHOTO_BYTES"], max_side=config["PHOTO_MAX_SIDE"]
        )
    except PhotoRejected as exc:
        raise ServiceError(exc.message, {"photo": [exc.message]}) from None
    return publication.store_photo(appeal, processed, answer=answer)


def _language(appeal: Appeal) -> str | None:
    """The appeal's interface language: a hint for the scrubber, never a rule."""
    return appeal.private.language if appeal.private else None


def _offer_rating(appeal: Appeal, answer: Answer) -> None:
    try:
        from portal.services.rating import offer_rating
    except ImportError:
        log.warning("portal.services.rating is not available: no rating link offered")
        return
    offer_rating(appeal, answer)


def answer(
    user: StaffUser,
    public_id: str,
    *,
    text: str,
    internal_note: str | None = None,
    photo: bytes | None = None,
    video: bytes | None = None,
    now: datetime | None = None,
) -> Answer:
    """Answer the appeal: scrubbed public text, private note, optional photo of the result
    and a short video (probed first; re-encoded by a job, shown after moderation).

    The publication gate publishes the scrubbed text at once, or holds it for a moderator
    (``needs_moderation``, no public text yet) when the scrubber fails or reports residual
    risk. The citizen is offered the rating link (tracking page; e-mail when they left an
    address).
    """
    now = now or utcnow()
    if video:
        load_appeal(user, "answer", public_id)  # refuse before looking at the upload
        videos.check_video(video)
    with transaction():
        appeal = load_appeal(user, "answer", public_id, lock=True)
        _require_status(appeal, OPEN_STATUSES, _("This appeal is not waiting for an answer."))
        reply = Answer(
            appeal_id=appeal.id,
            service_id=appeal.service_id,
            round=(appeal.reopen_count or 0) + 1,
            created_at=now,
            private_raw_text=text,
            private_internal_note=internal_note,
            private_staff_id=user.id,
        )
        db.session.add(reply)
        db.session.flush()
        publication.publish_text(
            TextChannel.ANSWER, text, hint=_language(appeal), appeal=appeal, answer=reply
        )
        if photo:
            _store_photo(appeal, reply, photo)
        if video:
            videos.attach_video(appeal, video, answer=reply)
        _mark_answered(appeal, now)
        record_event(appeal, EventKind.ANSWERED, at=now, staff_id=user.id)
        _offer_rating(appeal, reply)
    return reply


def _mark_answered(appeal: Appeal, now: datetime) -> None:
    """Status answered; the first answer also records how long the service took."""
    appeal.status = AppealStatus.ANSWERED
    appeal.last_answer_at = now
    if appeal.first_answer_at is None:
        appeal.first_answer_at = now
        appeal.first_answer_workdays = work_calendar().workdays_elapsed(appeal.submitted_at, now)
        appeal.answered_on_time = now <= appeal.due_at


# --- Status ----------------------------------------------------------------------------------

CLOSING = {
    "solved": Resolution.SOLVED,
    "not_responsible": Resolution.NOT_RESPONSIBLE,
    "duplicate": Resolution.DUPLICATE,
}


def set_status(
    user: StaffUser,
    public_id: str,
    *,
    status: str,
    duplicate_of: str | None = None,
    now: datetime | None = None,
) -> Appeal:
    """In progress; or closed as solved, not the city's responsibility, duplicate of <id>."""
    now = now or utcnow()
    with transaction():
        if status == "duplicate" and duplicate_of:
            lock_rows(public_id, duplicate_of)  # A as B's duplicate while B as A's: no deadlock
        appeal = load_appeal(user, "set_status", public_id, lock=True)
        if status == "in_progress":
            _require_status(
                appeal,
                (AppealStatus.PUBLISHED, AppealStatus.ACKNOWLEDGED, AppealStatus.REOPENED),
                _("Only a new, acknowledged or reopened appeal can be marked in progress."),
            )
            appeal.status = AppealStatus.IN_PROGRESS
            record_event(appeal, EventKind.IN_PROGRESS, at=now, staff_id=user.id)
            return appeal
        if status not in CLOSING:
            raise ServiceError(_("Unknown status."), {"status": [_("Unknown status.")]})
        _require_status(appeal, CLOSABLE_STATUSES, _not_open())
        original = _duplicate_target(appeal, duplicate_of) if status == "duplicate" else None
        if original is not None:
            appeal.duplicate_of_id = original.id
            support.count_for_original(appeal, original)
        appeal.status = AppealStatus.CLOSED
        appeal.resolution = CLOSING[status]
        appeal.closed_at = now
        event = record_event(appeal, EventKind.CLOSED, at=now, staff_id=user.id)
        if original is not None:
            publication.publish_text(
                TextChannel.CLOSING_NOTE,
                original.public_id,
                hint=publication.default_language(),
                appeal=appeal,
                event=event,
            )
    return appeal


def _duplicate_target(appeal: Appeal, duplicate_of: str | None) -> Appeal:
    def refuse(message: str) -> ServiceError:
        return ServiceError(message, {"duplicate_of": [message]})

    if not duplicate_of:
        raise refuse(_("Give the number of the appeal this one duplicates."))
    lock_row(duplicate_of)  # its supporters change: no support may slip in meanwhile
    original = db.session.scalars(
        select(Appeal)
        .where(Appeal.public_id == duplicate_of)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if original is None or original.status not in DUPLICATE_TARGET_STATUSES:
        raise refuse(_("There is no published appeal with this number."))
    if original.id == appeal.id:
        raise refuse(_("An appeal cannot duplicate itself."))
    if original.city_id != appeal.city_id:
        raise refuse(_("The original appeal must be in the same city."))
    if original.duplicate_of_id is not None:
        raise refuse(_("That appeal is itself a duplicate: give the number of its original."))
    return original


# --- Reroute ---------------------------------------------------------------------------------


def reroute(
    user: StaffUser,
    public_id: str,
    *,
    service_code: str,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """Pass the appeal to another active service of the same city, with a public reason.

    The deadline does not restart. After this the former service has no access any more.
    """
    now = now or utcnow()
    with transaction():
        appeal = load_appeal(user, "reroute", public_id, lock=True)
        _require_status(appeal, OPEN_STATUSES, _not_open())
        target = db.session.scalars(select(Service).where(Service.code == service_code)).first()
        if target is None or not target.active or target.city_id != appeal.city_id:
            message = _("Choose an active service of the same city.")
            raise ServiceError(message, {"service": [message]})
        if target.id == appeal.service_id:
            message = _("The appeal is already with this service.")
            raise ServiceError(message, {"service": [message]})
        previous = appeal.service_id
        appeal.service_id = target.id
        appeal.reroute_count = (appeal.reroute_count or 0) + 1
        if appeal.status in (AppealStatus.ACKNOWLEDGED, AppealStatus.IN_PROGRESS):
            appeal.status = AppealStatus.PUBLISHED  # the new service has not registered it
        event = record_event(
            appeal,
            EventKind.REROUTED,
            at=now,
            service_id=previous,
            to_service_id=target.id,
            staff_id=user.id,
        )
        publication.publish_text(
            TextChannel.REROUTE_REASON, reason, hint=_language(appeal), appeal=appeal, event=event
        )
    return appeal


# --- Deadline extension ----------------------------------------------------------------------


def extended_due_at(due_at: datetime, days: int) -> datetime:
    """The deadline moved by ``days`` working days (end of that working day, local)."""
    return work_calendar().due_at(due_at, days)


def extend_deadline(
    user: StaffUser,
    public_id: str,
    *,
    days: int,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """Extend the answer deadline once, by 1–30 working days, with a public reason.

    Refused after the deadline has passed: an overdue appeal stays overdue.
    """
    now = now or utcnow()
    if not 1 <= days <= 30:
        message = _("Between 1 and 30 working days.")
        raise ServiceError(message, {"days": [message]})
    with transaction():
        appeal = load_appeal(user, "extend_deadline", public_id, lock=True)
        _require_status(appeal, OPEN_STATUSES, _not_open())
        if appeal.deadline_extended:
            raise Conflict(_("The deadline of this appeal has already been extended once."))
        if appeal.due_at < now:
            raise Conflict(_("The deadline has already passed; it can no longer be extended."))
        appeal.due_at = extended_due_at(appeal.due_at, days)
        appeal.deadline_extended = True
        event = record_event(appeal, EventKind.DEADLINE_EXTENDED, at=now, staff_id=user.id)
        publication.publish_text(
            TextChannel.EXTENSION_REASON,
            reason,
            hint=_language(appeal),
            appeal=appeal,
            event=event,
        )
    return appeal


def state_outcome(user: StaffUser, public_id: str, *, outcome: str, reason: str | None) -> Appeal:
    """State how the city decided on a proposal: accepted, planned or declined (declined
    always with a public reason). The reason goes through the publication gate; the
    outcome may be stated again (a planned proposal accepted later)."""
    if outcome == ProposalOutcome.DECLINED and not (reason or "").strip():
        message = _("Give the public reason for declining the proposal.")
        raise ServiceError(message, {"reason": [message]})
    with transaction():
        appeal = load_appeal(user, "state_outcome", public_id, lock=True)
        if appeal.kind != AppealKind.PROPOSAL:
            raise Conflict(_("Only a proposal has an outcome."))
        _require_status(appeal, CLOSABLE_STATUSES, _not_open())
        appeal.outcome = ProposalOutcome(outcome)
        appeal.outcome_reason = None  # a new decision replaces the old reason (emptying)
        event = record_event(appeal, EventKind.OUTCOME_STATED, at=utcnow(), staff_id=user.id)
        publication.publish_text(
            TextChannel.OUTCOME_REASON, reason, hint=_language(appeal), appeal=appeal,
            event=event,
        )  # fmt: skip
    return appeal
