"""News of the mayor's office: published by editors (and admins), read by everyone.

An item is published as its named editor wrote it — a person is the publication gate's
other path, as for a moderator's edit; its markup is sanitised when shown
(``portal.news.markup``), so no stored text can run a script.
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import NewsItem, StaffUser, utcnow
from portal.services.core import NotFound, transaction
from portal.services.permissions import ensure_can

LANGUAGES = ("ru", "ky", "en")
FIELDS = tuple(f"{part}_{lang}" for part in ("title", "body") for lang in LANGUAGES)


def publish_news(user: StaffUser, data: dict, item_id: int | None = None) -> NewsItem:
    """Publish a new item (``item_id`` None) or correct one; ``data`` from NewsFormSchema."""
    ensure_can(user, "publish_news")
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
    return item


def remove_news(user: StaffUser, item_id: int) -> None:
    """Take an item off the portal (deleted: news is not part of the open data)."""
    ensure_can(user, "publish_news")
    with transaction() as session:
        session.delete(_get(item_id))


def _get(item_id: int) -> NewsItem:
    item = db.session.get(NewsItem, item_id)
    if item is None:
        raise NotFound(_("No such news item."))
    return item
