"""Reading the mayor's office's news (home page, /news, the Atom feed): public columns
only (who wrote an item is private)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import load_only, selectinload

from portal.extensions import db
from portal.models import NewsItem, Photo

#: What the public sees of an item (never private_author_id), with its photo's address
#: and size (never its bytes: the photo route serves those).
PUBLIC = (
    load_only(
        NewsItem.id, NewsItem.title_ru, NewsItem.title_ky, NewsItem.title_en, NewsItem.body_ru,
        NewsItem.body_ky, NewsItem.body_en, NewsItem.published_at, NewsItem.updated_at,
        NewsItem.photo_alt_ru, NewsItem.photo_alt_ky, NewsItem.photo_alt_en, raiseload=True,
    ),
    selectinload(NewsItem.photo).load_only(
        Photo.public_id, Photo.content_type, Photo.width, Photo.height, Photo.news_item_id,
        raiseload=True,
    ),
)  # fmt: skip


def news_page(page: int, per_page: int) -> tuple[list[NewsItem], int]:
    """Items newest first: one page of them, and how many there are."""
    total = db.session.scalar(select(func.count(NewsItem.id))) or 0
    rows = db.session.scalars(
        select(NewsItem)
        .options(*PUBLIC)
        .order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def latest_news(limit: int) -> list[NewsItem]:
    """The newest items (home page, feed)."""
    return news_page(1, limit)[0]


def news_item(item_id: int) -> NewsItem | None:
    """One item by its number, or None."""
    return db.session.scalars(
        select(NewsItem).options(*PUBLIC).where(NewsItem.id == item_id)
    ).first()
