"""What moderators read: the queues and one case at a time (private data, moderators only).

These reads show private data (raw texts, exact points), so they live with the services
rather than in ``portal.queries`` (public record only). The scrubber's findings are
recomputed through the publication gate's ``screen``, so a moderator sees what the gate
sees — or that the scrubber failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from opendata.geomask import MaskedPoint
from portal.extensions import db
from portal.models import Appeal, AppealStatus, HeldText, Photo, PrivacyTier, StaffUser
from portal.services.core import NotFound
from portal.services.permissions import ensure_can
from portal.services.publication import Screening, masked_location, screen


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
    screening: Screening
    exact_lat: float
    exact_lon: float
    address_text: str | None
    masked: MaskedPoint | None
    tier: PrivacyTier
    photos: list[PhotoRef]


@dataclass(frozen=True)
class HeldCase:
    """A text the gate held back, with what the scrubber makes of it now."""

    hold: HeldText
    screening: Screening


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
        screening=screen(private.raw_text, private.language),
        exact_lat=private.lat,
        exact_lon=private.lon,
        address_text=private.address_text,
        masked=masked_location(appeal),
        tier=appeal.category.privacy_tier,
        photos=photos,
    )


def held_queue(moderator: StaffUser, page: int = 1, per_page: int = 25) -> Page:
    """Held texts of every channel waiting for a decision, oldest first."""
    ensure_can(moderator, "moderate")
    waiting = HeldText.decision.is_(None)
    query = (
        select(HeldText)
        .where(waiting)
        .options(selectinload(HeldText.appeal))
        .order_by(HeldText.created_at, HeldText.id)
    )
    count = select(func.count()).select_from(HeldText).where(waiting)
    return _page(query, count, page, per_page)


def held_case(moderator: StaffUser, hold_id: int) -> HeldCase:
    """One held text with the scrubber's findings (replaced spans and residual risks)."""
    ensure_can(moderator, "moderate")
    hold = db.session.get(HeldText, hold_id)
    if hold is None:
        raise NotFound(_("No such text."))
    return HeldCase(hold, screen(hold.private_raw_text, hold.language))


def staff_photo(moderator: StaffUser, public_id: str) -> Photo:
    """A stored (re-encoded) photo, for moderators."""
    ensure_can(moderator, "moderate")
    photo = db.session.scalars(select(Photo).where(Photo.public_id == public_id)).first()
    if photo is None:
        raise NotFound(_("No such photo."))
    return photo
