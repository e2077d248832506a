"""Capability links for citizens: /t/<token> to follow an appeal and rate its answers.

A token is 32 random bytes (256 bits) in URL-safe base64; only its SHA-256 is stored, so
a leaked database does not leak working links. Two purposes:

- ``track``: issued on submission, long-lived; shows the appeal and lets the citizen rate
  the latest unrated answer within RATING_TOKEN_TTL_DAYS of that answer.
- ``rate``: issued with each answer (e-mailed), rates that one answer, single use,
  expires RATING_TOKEN_TTL_DAYS after the answer.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AccessToken,
    Answer,
    Appeal,
    AppealStatus,
    Rating,
    Solved,
    TokenPurpose,
    utcnow,
)

#: How long a link mailed to confirm an address works (alerts, "this affects me too").
CONFIRM_TTL = timedelta(days=7)
#: Confirmation mails one address receives per hour at most, whoever asks from wherever
#: (the forms' rate limits count per client; this protects the mailbox).
MAX_LINKS_PER_HOUR = 3


def absolute_link(path: str) -> str:
    """``path`` (starting with /) as an absolute link for e-mails, built from BASE_URL."""
    return current_app.config["BASE_URL"].rstrip("/") + path


TOKEN_BYTES = 32
#: Longest string accepted as a token (longer input is not even hashed).
MAX_TOKEN_LENGTH = 100

#: Why a link does not work, for the page and the API.
PROBLEMS = {
    "unknown": _l("This link is not valid. Please check that it was copied completely."),
    "expired": _l("This rating link has expired."),
    "used": _l("This rating link has already been used. Thank you for your rating."),
}


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    appeal: Appeal,
    purpose: TokenPurpose,
    *,
    answer: Answer | None = None,
    expires_at: datetime | None = None,
    token: str | None = None,
) -> str:
    """Store a token for ``appeal`` (in the current transaction); returns the plaintext.

    A fresh random one unless ``token`` is given (a retried submission's derived token).
    """
    token = token or new_token()
    db.session.add(
        AccessToken(
            token_hash=hash_token(token),
            purpose=purpose,
            appeal_id=appeal.id,
            answer_id=answer.id if answer is not None else None,
            expires_at=expires_at,
        )
    )
    return token


def rating_deadline(answer: Answer) -> datetime:
    """Until when an answer may be rated."""
    return answer.created_at + timedelta(days=current_app.config["RATING_TOKEN_TTL_DAYS"])


def is_unsatisfied(rating: Rating) -> bool:
    """A low score or "not solved": the citizen may reopen the appeal."""
    return rating.score <= 2 or rating.solved is Solved.NO


@dataclass
class Access:
    """What a valid token lets its holder see and do right now."""

    token: AccessToken
    appeal: Appeal
    #: The answer the holder may rate now, if any.
    rateable: Answer | None
    #: The rating that the holder may turn into a reopen, if any.
    reopenable: Rating | None

    @property
    def is_tracking(self) -> bool:
        return self.token.purpose is TokenPurpose.TRACK


class TokenProblem(Exception):
    """The token is unknown, expired or used; ``code`` is a key of PROBLEMS."""

    def __init__(self, code: str, access: Access | None = None) -> None:
        super().__init__(code)
        self.code = code
        # A used rating link still allows what follows the rating (reopen).
        self.access = access

    @property
    def message(self) -> str:
        return str(PROBLEMS[self.code])


def find_token(token: str, *, for_update: bool = False) -> AccessToken | None:
    """The stored token for a plaintext, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = select(AccessToken).where(AccessToken.token_hash == hash_token(token))
    if for_update:
        query = query.with_for_update()
    return db.session.scalars(query).first()


def latest_answer(appeal: Appeal) -> Answer | None:
    query = (
        select(Answer)
        .where(Answer.appeal_id == appeal.id)
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()


def resolve(token: str, *, now: datetime | None = None, for_update: bool = False) -> Access:
    """What ``token`` grants; raises TokenProblem for unknown, expired or used links."""
    now = now or utcnow()
    stored = find_token(token, for_update=for_update)
    if stored is None:
        raise TokenProblem("unknown")
    appeal = stored.appeal
    if stored.purpose is TokenPurpose.TRACK:
        if stored.expires_at is not None and stored.expires_at <= now:
            raise TokenProblem("expired")
        answer = latest_answer(appeal)
    else:
        answer = db.session.get(Answer, stored.answer_id) if stored.answer_id else None
        if answer is None:
            raise TokenProblem("unknown")
    rateable = answer if _may_rate(appeal, answer, now) else None
    reopenable = _reopenable(appeal, answer, now)
    access = Access(stored, appeal, rateable, reopenable)
    if stored.purpose is TokenPurpose.RATE:
        if stored.used_at is not None or answer.rating is not None:
            raise TokenProblem("used", access if reopenable else None)
        if (stored.expires_at or rating_deadline(answer)) <= now:
            raise TokenProblem("expired")
    return access


def _may_rate(appeal: Appeal, answer: Answer | None, now: datetime) -> bool:
    if answer is None or answer.rating is not None:
        return False
    if appeal.status in (AppealStatus.REJECTED, AppealStatus.WITHDRAWN):
        return False
    return now < rating_deadline(answer)


def _reopenable(appeal: Appeal, answer: Answer | None, now: datetime) -> Rating | None:
    """The unsatisfied rating of the current round, while the appeal can go back."""
    if answer is None or answer.rating is None or appeal.status is not AppealStatus.ANSWERED:
        return None
    if latest_answer(appeal) is not answer or not is_unsatisfied(answer.rating):
        return None
    if now >= rating_deadline(answer):
        return None
    return answer.rating
