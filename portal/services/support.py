""" "This affects me too": a resident supports a published, open appeal without an account.

One support per browser: the browser keeps a random id in a cookie and only its keyed hash
(HMAC with the secret key) is stored, so the table says nothing about who supported what.
The count is published as the appeal's ``supporters`` field (portal.queries.record).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import PUBLIC_STATUSES, Appeal, AppealStatus, Supporter, utcnow
from portal.services.core import Conflict, NotFound, transaction


@dataclass(frozen=True)
class SupportResult:
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


def add_supporter(public_id: str, browser_id: str) -> SupportResult:
    """Count this browser among the appeal's supporters (once); refuses an appeal that is
    not published (404) or no longer open (409).

    The appeal's row is locked before its state is read, so a support cannot slip in
    while staff close the appeal as a duplicate (its supporters are being moved).
    """
    from portal.services.staff_actions import lock_row

    key = browser_hash(browser_id)
    try:
        with transaction():
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
            db.session.add(Supporter(appeal_id=appeal.id, browser_hash=key))
            appeal.updated_at = utcnow()  # a published field changed
    except IntegrityError:  # this browser already supports it (or a double click raced)
        return SupportResult(_count(appeal.id), added=False)
    return SupportResult(_count(appeal.id), added=True)


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
