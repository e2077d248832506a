"""News of the mayor's office: published by editors (and admins), read by everyone.

An item is published as its named editor wrote it — a person is the publication gate's
other path, as for a moderator's edit; its markup is sanitised when shown
(``portal.news.markup``), so no stored text can run a script.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete

from portal.extensions import db
from portal.models import NewsItem, Photo, StaffUser, utcnow
from portal.photos import PhotoRejected, ProcessedPhoto, process_photo
from portal.services import publication
from portal.services.core import NotFound, ServiceError, transaction
from portal.services.permissions import ensure_can

LANGUAGES = ("ru", "ky", "en")
FIELDS = tuple(f"{part}_{lang}" for part in ("title", "body", "photo_alt") for lang in LANGUAGES)


def publish_news(user: StaffUser, data: dict, item_id: int | None = None) -> NewsItem:
    """Publish a new item (``item_id`` None) or correct one; ``data`` from NewsFormSchema.

    ``data["photo"]`` (bytes) replaces the item's photo, ``data["remove_photo"]`` removes
    it. The photo goes through the citizens' pipeline (re-encoded, no metadata, same
    limits) and is stored by the publication gate; a refused photo stores nothing."""
    ensure_can(user, "publish_news")
    photo = _processed(data.get("photo"))
    now = utcnow()
    with transaction() as session:
        if item_id is None:
            item = NewsItem(published_at=now, private_author_id=user.id)
            session.add(item)
        else:
            item = _get(item_id)
        for name in FIELDS:
            setattr(item, name, data.get(name) or None)
        item.updated_at = now
        if item_id is not None and (photo is not None or data.get("remove_photo")):
            session.execute(delete(Photo).where(Photo.news_item_id == item.id))
        if photo is not None:
            session.flush()  # the new item's id
            publication.store_photo(None, photo, news_item=item, at=now)
    return item


def _processed(raw: bytes | None) -> ProcessedPhoto | None:
    """The uploaded photo re-encoded, before anything is written (ServiceError if refused)."""
    if not raw:
        return None
    config = current_app.config
    try:
        return process_photo(
            raw, max_bytes=config["MAX_PHOTO_BYTES"], max_side=config["PHOTO_MAX_SIDE"]
        )
    except PhotoRejected as exc:
        raise ServiceError(exc.message, {"photo": [exc.message]}) from None


def remove_news(user: StaffUser, item_id: int) -> None:
    """Take an item off the portal, its photo too (deleted: news is not open data)."""
    ensure_can(user, "publish_news")
    with transaction() as session:
        item = _get(item_id)
        session.execute(delete(Photo).where(Photo.news_item_id == item.id))
        session.delete(item)


def _get(item_id: int) -> NewsItem:
    item = db.session.get(NewsItem, item_id)
    if item is None:
        raise NotFound(_("No such news item."))
    return item
