"""Submitting an appeal: one use case shared by the web form, the JSON API and Open311.

Everything is checked before anything is written (place, category, photos, the video);
then the appeal, its private text and point, the contact, the re-encoded photos, the
video upload (re-encoded by a job after the commit), the SUBMITTED event and the tracking
token are stored in one transaction. The e-mail with the
tracking link leaves only after that transaction commits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.i18n import localized
from portal.mail import send_after_commit
from portal.models import (
    Appeal,
    AppealPrivate,
    AppealStatus,
    Category,
    City,
    Contact,
    District,
    EventKind,
    TokenPurpose,
    utcnow,
)
from portal.photos import PhotoRejected, process_photo
from portal.services import publication, videos
from portal.services.core import (
    ServiceError,
    allocate_public_ids,
    compute_due_at,
    record_event,
    transaction,
    work_calendar,
)
from portal.services.idempotency import RetryKey
from portal.services.moderation import auto_publish_if_clean
from portal.services.tokens import absolute_link, issue_token


@dataclass(frozen=True)
class Origin:
    """How an appeal arrived, as its entry point knows it (the web form, the JSON API and
    Open311 each build one per request: ``portal.citizen.forms.request_origin``).

    ``channel`` is published (opendata.schema.CHANNEL_PATTERN); ``language`` is the
    interface language (the scrubber's hint, the receipt's language); a ``retry_key``,
    unique within ``retry_scope`` ("form", "api", an Open311 client…), makes a resent
    request return the appeal stored the first time.
    """

    channel: str = "web"
    language: str = "ru"
    retry_key: str | None = None
    retry_scope: str = "form"

    def columns(self) -> dict[str, object]:
        """The appeal's columns that record where it came from (a new one goes here)."""
        return {"channel": self.channel}


@dataclass(frozen=True)
class SubmissionResult:
    """A stored appeal; ``tracking_token`` is the plaintext, shown to the citizen once."""

    appeal: Appeal
    tracking_token: str
    due_at: datetime


def tracking_url(token: str) -> str:
    """The absolute /t/<token> link for e-mails (built from BASE_URL)."""
    return absolute_link(f"/t/{token}")


def scrub_preview(text: str, lang: str | None = None) -> str | None:
    """What would be published of ``text`` (``lang``: the interface language, a hint);
    None when the scrubber cannot tell now (the form then asks the citizen to remove
    personal data, and a moderator checks the text)."""
    return publication.preview(text, lang)


def resolve_place(
    city_slug: str, category_code: str, *, lat: float, lon: float
) -> tuple[City, Category]:
    """The city and active category, with the point inside the city; else field errors."""
    city = db.session.scalars(select(City).where(City.slug == city_slug)).first()
    if city is None:
        message = _("Choose a city.")
        raise ServiceError(message, {"city": [message]})
    category = db.session.scalars(
        select(Category).where(
            Category.city_id == city.id, Category.code == category_code, Category.active
        )
    ).first()
    errors: dict[str, list[str]] = {}
    if category is None:
        errors["category"] = [_("Choose a category.")]
    if not city.contains(lat=lat, lon=lon):
        errors["lat"] = [
            _(
                "The chosen place is outside %(city)s. Click on the map inside the city.",
                city=localized(city),
            )
        ]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], errors)
    return city, category


def nearest_district(city: City, *, lat: float, lon: float) -> District | None:
    """The district whose centre is nearest (districts are approximated by centres)."""
    scale = math.cos(math.radians(lat))

    def distance(d: District) -> float:
        return (d.center_lat - lat) ** 2 + ((d.center_lon - lon) * scale) ** 2

    return min(city.districts, key=distance, default=None)


def prepare_photos(photos: Sequence[bytes]) -> list:
    """Judge and re-encode every photo before anything is stored; field errors on failure."""
    config = current_app.config
    if len(photos) > config["MAX_PHOTOS"]:
        message = _("Attach at most %(n)s photos.", n=config["MAX_PHOTOS"])
        raise ServiceError(message, {"photos": [message]})
    processed, problems = [], []
    for number, raw in enumerate(photos, start=1):
        try:
            processed.append(
                process_photo(
                    raw, max_bytes=config["MAX_PHOTO_BYTES"], max_side=config["PHOTO_MAX_SIDE"]
                )
            )
        except PhotoRejected as rejected:
            problems.append(_("Photo %(n)s: %(problem)s", n=number, problem=rejected.message))
    if problems:
        raise ServiceError(problems[0], {"photos": problems})
    return processed


def submit_appeal(
    data: dict,
    photos: Sequence[bytes] = (),
    origin: Origin | None = None,
    *,
    video: bytes | None = None,
) -> SubmissionResult:
    """Store a citizen's appeal (status submitted: it waits for moderation).

    ``data`` is the output of ``AppealSubmissionSchema().load(...)``; ``origin`` says how
    it arrived (a form in Russian by default). Raises ServiceError with field errors (and
    stores nothing) when the place, category, a photo or the ``video`` is refused. With a
    retry key, a retry of the same request returns the appeal stored the first time.
    """
    origin = origin or Origin()
    if origin.language not in current_app.config["LANGUAGES"]:
        origin = replace(origin, language=current_app.config["LANGUAGES"][0])
    if data.get("consent") is not True:
        message = _("Please agree to the privacy notice.")
        raise ServiceError(message, {"consent": [message]})
    retry = None
    if origin.retry_key:
        retry = RetryKey.of(origin.retry_scope, origin.retry_key, data, photos)
    stored = retry.stored_appeal() if retry else None
    if stored is not None:
        return SubmissionResult(stored, retry.tracking_token, stored.due_at)
    try:
        return _store_appeal(data, photos, video, origin, retry)
    except IntegrityError:
        # A concurrent twin of this request stored its appeal first: answer with that one.
        stored = retry.stored_appeal() if retry else None
        if stored is None:
            raise
        return SubmissionResult(stored, retry.tracking_token, stored.due_at)


# size: one transaction stores the appeal with its private part, contact, media and token
def _store_appeal(
    data: dict,
    photos: Sequence[bytes],
    video: bytes | None,
    origin: Origin,
    retry: RetryKey | None,
) -> SubmissionResult:
    lat, lon = float(data["lat"]), float(data["lon"])
    city, category = resolve_place(data["city"], data["category"], lat=lat, lon=lon)
    prepared = prepare_photos(photos)
    if video:
        videos.check_video(video)
    now = utcnow()
    with transaction() as session:
        year = work_calendar().local_date(now).year
        appeal = Appeal(
            public_id=allocate_public_ids(city.code, year)[0],
            city=city,
            district=nearest_district(city, lat=lat, lon=lon),
            category=category,
            service_id=category.default_service_id,
            status=AppealStatus.SUBMITTED,
            submitted_at=now,
            due_at=compute_due_at(category, now),
            photo_count=len(prepared),
            updated_at=now,
            kind=data.get("kind") or "problem",
            **origin.columns(),
        )
        appeal.private = AppealPrivate(
            raw_text=data["description"],
            lat=lat,
            lon=lon,
            address_text=data.get("address") or None,
            language=origin.language,
        )
        session.add(appeal)
        session.flush()
        if retry is not None:
            retry.remember(appeal)
        contact = {key: data.get(key) or None for key in ("name", "email", "phone")}
        if any(contact.values()):
            session.add(Contact(appeal_id=appeal.id, **contact))
        for photo in prepared:
            publication.store_photo(appeal, photo, at=now)
        if video:
            videos.attach_video(appeal, video)
        record_event(appeal, EventKind.SUBMITTED, at=now)
        token = issue_token(
            appeal, TokenPurpose.TRACK, token=retry.tracking_token if retry else None
        )
        session.flush()
        auto_publish_if_clean(appeal)
        if contact["email"]:
            subject, body = _receipt_mail(appeal, token, origin.language)
            send_after_commit(session, contact["email"], subject, body)
    return SubmissionResult(appeal=appeal, tracking_token=token, due_at=appeal.due_at)


def _receipt_mail(appeal: Appeal, token: str, language: str) -> tuple[str, str]:
    from flask_babel import format_date

    with force_locale(language):
        subject = _("Your appeal %(id)s has been received", id=appeal.public_id)
        body = _(
            "Thank you. Your appeal %(id)s has been received and will be published after "
            "moderation (personal data is removed).\n\n"
            "The service must answer by %(due)s.\n\n"
            "Follow your appeal and rate the answer here (keep this link private):\n%(url)s\n",
            id=appeal.public_id,
            due=format_date(appeal.due_at, "long"),
            url=tracking_url(token),
        )
    return subject, body
