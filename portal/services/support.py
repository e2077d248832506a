""" "This affects me too": a resident supports a published, open appeal without an account.

One support per browser: the browser keeps a random id in a cookie and only its keyed hash
(HMAC with the secret key) is stored, so the table says nothing about who supported what.
The count is published as the appeal's ``supporters`` field (portal.queries.record).

A resident may give an e-mail: the support then waits in ``support_requests`` (private)
and counts, under the same browser key, once the link mailed to the address is confirmed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.mail import send_after_commit
from portal.models import PUBLIC_STATUSES, Appeal, AppealStatus, Supporter, utcnow
from portal.services.core import Conflict, NotFound, ServiceError, transaction
from portal.services.row_locks import lock_row
from portal.services.tokens import (
    CONFIRM_TTL,
    MAX_LINKS_PER_HOUR,
    MAX_TOKEN_LENGTH,
    PROBLEMS,
    absolute_link,
    hash_token,
    new_token,
)
from portal.support_requests import SupportRequest

ALREADY_COUNTED = _l("This link has been used: your support is counted. Thank you.")
EXPIRED = _l(
    "This link has expired. Say again that the appeal affects you too to receive a new one."
)


@dataclass(frozen=True)
class SupportResult:
    public_id: str
    supporters: int
    added: bool  # False: this browser had already supported the appeal


def can_be_supported(status: str) -> bool:
    """Published and not closed (an answered appeal may still leave residents waiting)."""
    return (
        AppealStatus(status) in PUBLIC_STATUSES and AppealStatus(status) is not AppealStatus.CLOSED
    )


def browser_hash(browser_id: str) -> str:
    """The stored form of a browser's id: a keyed hash, useless without the secret key."""
    secret = current_app.secret_key.encode() if current_app.secret_key else b""
    return hmac.new(secret, f"support:{browser_id}".encode(), hashlib.sha256).hexdigest()


def _count(appeal_id: int) -> int:
    query = select(func.count(Supporter.id)).where(Supporter.appeal_id == appeal_id)
    return int(db.session.scalar(query) or 0)


def supports(public_id: str, browser_id: str | None) -> bool:
    """Whether this browser already supports the appeal."""
    if not browser_id:
        return False
    query = (
        select(Supporter.id)
        .join(Appeal, Appeal.id == Supporter.appeal_id)
        .where(Appeal.public_id == public_id, Supporter.browser_hash == browser_hash(browser_id))
    )
    return db.session.scalar(query) is not None


def _supportable(public_id: str) -> Appeal:
    """Inside the caller's transaction: the appeal, its row locked before its state is
    read (so a support cannot slip in while staff close it as a duplicate and move its
    supporters); refuses an appeal that is not published (404) or no longer open (409)."""
    lock_row(public_id)
    appeal = db.session.scalar(
        select(Appeal)
        .where(Appeal.public_id == public_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if appeal is None or appeal.status not in PUBLIC_STATUSES:
        raise NotFound(str(_l("No published appeal with this id.")))
    if not can_be_supported(appeal.status):
        raise Conflict(str(_l("Only open appeals can be supported.")))
    return appeal


def _counted(appeal: Appeal, key: str) -> bool:
    query = select(Supporter.id).where(
        Supporter.appeal_id == appeal.id, Supporter.browser_hash == key
    )
    return db.session.scalar(query) is not None


def add_supporter(public_id: str, browser_id: str) -> SupportResult:
    """Count this browser among the appeal's supporters (once); refuses an appeal that is
    not published (404) or no longer open (409)."""
    key = browser_hash(browser_id)
    try:
        with transaction():
            appeal = _supportable(public_id)
            db.session.add(Supporter(appeal_id=appeal.id, browser_hash=key))
            appeal.updated_at = utcnow()  # a published field changed
    except IntegrityError:  # this browser already supports it (or a double click raced)
        return SupportResult(public_id, _count(appeal.id), added=False)
    return SupportResult(public_id, _count(appeal.id), added=True)


def confirm_link(token: str) -> str:
    """The absolute /support/confirm/<token> link for the mail (built from BASE_URL)."""
    return absolute_link(f"/support/confirm/{token}")


def request_support(public_id: str, browser_id: str, email: str, *, language: str) -> str | None:
    """Store this browser's support of the appeal as pending and mail ``email`` the link
    that counts it (after commit); returns the link's token. Refuses an appeal that is not
    published (404) or no longer open (409).

    None, with nothing stored or sent: the browser is counted already, or the address got
    MAX_LINKS_PER_HOUR links within the hour (someone is flooding it). The page says the
    same either way.
    """
    key = browser_hash(browser_id)
    with transaction():
        appeal = _supportable(public_id)
        if _counted(appeal, key) or _recent_links(email) >= MAX_LINKS_PER_HOUR:
            return None
        token = new_token()
        db.session.add(SupportRequest(appeal_id=appeal.id, browser_hash=key,
                                      private_email=email, token_hash=hash_token(token)))  # fmt: skip
        with force_locale(language):
            subject = _("Confirm that this appeal affects you too")
            body = render_template(
                "public/mail_support_confirm.txt",
                public_id=appeal.public_id,
                link=confirm_link(token),
                days=CONFIRM_TTL.days,
            )
        send_after_commit(db.session, email, subject, body)
    return token


def _recent_links(email: str) -> int:
    since = utcnow() - timedelta(hours=1)
    query = select(func.count(SupportRequest.id)).where(
        SupportRequest.private_email == email, SupportRequest.created_at >= since
    )
    return int(db.session.scalar(query) or 0)


def pending_support(token: str, now: datetime | None = None) -> tuple[SupportRequest, Appeal]:
    """The unconfirmed request a confirmation token belongs to, and its appeal; raises
    NotFound for an unknown or expired link, ServiceError (400) for a confirmed one."""
    found = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        query = select(SupportRequest).where(SupportRequest.token_hash == hash_token(token))
        found = db.session.scalar(query.execution_options(populate_existing=True))
    if found is None:
        raise NotFound(str(PROBLEMS["unknown"]))
    if found.confirmed_at is not None:
        raise ServiceError(str(ALREADY_COUNTED))
    if found.created_at + CONFIRM_TTL <= (now or utcnow()):
        raise NotFound(str(EXPIRED))
    return found, db.session.get(Appeal, found.appeal_id)


def confirm_support(token: str) -> SupportResult:
    """Count the supporter a confirmation link stands for (once): the request is claimed
    by one conditional UPDATE, so of two simultaneous confirmations one counts and the
    other is told the link was used. A link of an appeal staff closed meanwhile as a
    duplicate counts for the original, as the duplicate's supporters did. Raises as
    ``pending_support``, or NotFound/Conflict when the appeal is no longer published or
    open; nothing changes then."""
    pending, appeal = pending_support(token)
    with transaction():
        appeal = _supportable(_counts_for(appeal))
        claimed = db.session.execute(
            update(SupportRequest)
            .where(SupportRequest.id == pending.id, SupportRequest.confirmed_at.is_(None))
            .values(confirmed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # confirmed meanwhile (a double click, a second tab)
            raise ServiceError(str(ALREADY_COUNTED))
        added = not _counted(appeal, pending.browser_hash)  # the appeal's row is locked
        if added:  # this browser may have said "me too" without an e-mail since
            db.session.add(Supporter(appeal_id=appeal.id, browser_hash=pending.browser_hash))
            appeal.updated_at = utcnow()  # a published field changed
    return SupportResult(appeal.public_id, _count(appeal.id), added=added)


def _counts_for(appeal: Appeal) -> str:
    """The public id a support of ``appeal`` counts for: its original once it is closed
    as a duplicate (``count_for_original`` moved its supporters there), else itself."""
    if appeal.duplicate_of_id is None:
        return appeal.public_id
    return db.session.scalar(select(Appeal.public_id).where(Appeal.id == appeal.duplicate_of_id))


def purge_old_requests(now: datetime | None = None) -> int:
    """Forget support requests older than their link, addresses included: unused ones
    expired, and a confirmed one is already counted among the supporters (which keep no
    address), so nothing needs the address any more."""
    cutoff = (now or utcnow()) - CONFIRM_TTL
    with transaction():
        result = db.session.execute(
            delete(SupportRequest).where(SupportRequest.created_at < cutoff)
        )
    return result.rowcount


def author_key(appeal: Appeal) -> str:
    """The supporter key standing for the author of ``appeal`` (closed as a duplicate)."""
    return browser_hash(f"author-of:{appeal.public_id}")


def count_for_original(duplicate: Appeal, original: Appeal) -> None:
    """Inside the caller's transaction (both rows locked): the duplicate's supporters,
    and its author as one more, now support the original. A browser that supported both
    counts once; the duplicate keeps none (nothing is counted twice)."""
    already = select(Supporter.browser_hash).where(Supporter.appeal_id == original.id)
    db.session.execute(
        update(Supporter)
        .where(Supporter.appeal_id == duplicate.id, Supporter.browser_hash.not_in(already))
        .values(appeal_id=original.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Supporter)
        .where(Supporter.appeal_id == duplicate.id)
        .execution_options(synchronize_session=False)
    )
    author = author_key(duplicate)
    if db.session.scalar(already.where(Supporter.browser_hash == author)) is None:
        db.session.add(Supporter(appeal_id=original.id, browser_hash=author))
    original.updated_at = utcnow()  # a published field (supporters) changed
