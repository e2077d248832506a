"""Rating a service's answer and reopening an appeal, through the citizen's private link.

``offer_rating`` runs inside the staff "answer" use case (it never commits); ``rate_answer``
and ``reopen_appeal`` are use cases of their own (one transaction each).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.mail import send_after_commit
from portal.models import (
    AccessToken,
    Answer,
    Appeal,
    AppealStatus,
    Contact,
    EventKind,
    Rating,
    RatingReason,
    Resolution,
    Solved,
    TextChannel,
    TokenPurpose,
    utcnow,
)
from portal.services import publication
from portal.services.core import (
    Conflict,
    ServiceError,
    claim_transition,
    compute_due_at,
    record_event,
    transaction,
)
from portal.services.submission import tracking_url
from portal.services.tokens import (
    TokenProblem,
    is_unsatisfied,
    issue_token,
    latest_answer,
    rating_deadline,
    resolve,
)


@dataclass(frozen=True)
class RatingResult:
    rating: Rating
    appeal: Appeal
    #: True when the rating closed the appeal (the citizen is satisfied).
    closed: bool
    #: True when the citizen may now reopen the appeal.
    may_reopen: bool


class TokenRefused(ServiceError):
    """The link is unknown (404), expired (410) or already used (409)."""

    STATUS = {"unknown": 404, "expired": 410, "used": 409}

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.message, {"token": [problem.message]})
        self.code = problem.code
        self.status_code = self.STATUS[problem.code]


def offer_rating(appeal: Appeal, answer: Answer) -> str:
    """Issue a single-use rating link for ``answer`` and e-mail it if the citizen left an
    address. Runs in the caller's transaction (never commits); returns the plaintext token.
    """
    if answer.id is None or answer.created_at is None:
        db.session.flush()
    token = issue_token(
        appeal, TokenPurpose.RATE, answer=answer, expires_at=rating_deadline(answer)
    )
    contact = db.session.get(Contact, appeal.id)
    if contact is not None and contact.email:
        language = appeal.private.language if appeal.private is not None else "ru"
        with force_locale(language):
            subject = _("The service answered your appeal %(id)s", id=appeal.public_id)
            body = _(
                "The service has answered your appeal %(id)s.\n\n"
                "Please rate the answer (the link works once and for %(days)s days):\n"
                "%(url)s\n",
                id=appeal.public_id,
                days=current_app.config["RATING_TOKEN_TTL_DAYS"],
                url=tracking_url(token),
            )
        send_after_commit(db.session, contact.email, subject, body)
    return token


def _resolve_or_refuse(token: str):
    try:
        return resolve(token, for_update=True)
    except TokenProblem as problem:
        raise TokenRefused(problem) from None


def _store_rating(session, appeal: Appeal, answer, data: dict, now) -> Rating:
    """Add the rating, its comment through the publication gate, and spend the rating links."""
    comment = (data.get("comment") or "").strip() or None
    language = appeal.private.language if appeal.private is not None else None
    rating = Rating(
        appeal_id=appeal.id,
        answer_id=answer.id,
        service_id=answer.service_id,
        created_at=now,
        score=int(data["score"]),
        solved=Solved(data["solved"]),
        reason=RatingReason(data["reason"]) if data.get("reason") else None,
        private_comment=comment,
    )
    session.add(rating)
    session.flush()  # the unique answer_id refuses a concurrent second rating
    publication.publish_text(
        TextChannel.RATING_COMMENT, comment, hint=language, appeal=appeal, rating=rating
    )
    session.execute(
        update(AccessToken)
        .where(
            AccessToken.answer_id == answer.id,
            AccessToken.purpose == TokenPurpose.RATE,
            AccessToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return rating


def rate_answer(token: str, data: dict) -> RatingResult:
    """Store the citizen's rating of the answer the token allows rating.

    ``data`` comes from ``RatingSchema().load``. One rating per answer: a second attempt
    raises Conflict and changes nothing. A satisfied rating closes the appeal.
    """
    try:
        with transaction() as session:
            access = _resolve_or_refuse(token)
            answer = access.rateable
            if answer is None:
                latest = latest_answer(access.appeal)
                if latest is not None and latest.rating is not None:
                    raise Conflict(_("This answer has already been rated. Thank you."))
                raise Conflict(_("There is no answer to rate at the moment."))
            appeal = access.appeal
            now = utcnow()
            rating = _store_rating(session, appeal, answer, data, now)
            appeal.last_score = rating.score
            appeal.last_solved = rating.solved
            record_event(appeal, EventKind.RATED, at=now, service_id=answer.service_id)
            closed = not is_unsatisfied(rating)
            if closed:
                appeal.status = AppealStatus.CLOSED
                appeal.resolution = Resolution.RATED
                appeal.closed_at = now
                record_event(appeal, EventKind.CLOSED, at=now)
    except IntegrityError:
        raise Conflict(_("This answer has already been rated. Thank you.")) from None
    return RatingResult(rating, appeal, closed=closed, may_reopen=not closed)


def reopen_appeal(token: str) -> Appeal:
    """Send the appeal back to the service after an unsatisfied rating, with a new deadline.

    Only one of several simultaneous reopen requests (same link, or the tracking and the
    rating link together) succeeds: the status changes by a conditional update.
    """
    with transaction():
        access = _resolve_or_refuse_reopen(token)
        if access is None or access.reopenable is None:
            raise Conflict(_("This appeal cannot be reopened now."))
        appeal = access.appeal
        now = utcnow()
        reopened = claim_transition(
            appeal,
            (AppealStatus.ANSWERED,),
            status=AppealStatus.REOPENED,
            reopen_count=Appeal.reopen_count + 1,
            reopened_at=now,
            closed_at=None,
            resolution=None,
            due_at=compute_due_at(appeal.category, now),
            updated_at=now,
        )
        if not reopened:
            raise Conflict(_("This appeal cannot be reopened now."))
        record_event(appeal, EventKind.REOPENED, at=now)
    return appeal


def _resolve_or_refuse_reopen(token: str):
    """A used rating link still allows reopening the round it rated."""
    try:
        return resolve(token, for_update=True)
    except TokenProblem as problem:
        if problem.code == "used" and problem.access is not None:
            return problem.access
        raise TokenRefused(problem) from None
