"""Reading the mayor's office's news (home page, /news, the Atom feed)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import NewsItem


def news_page(page: int, per_page: int) -> tuple[list[NewsItem], int]:
    """Items newest first: one page of them, and how many there are."""
    total = db.session.scalar(select(func.count()).select_from(NewsItem)) or 0
    rows = db.session.scalars(
        select(NewsItem)
        .order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def latest_news(limit: int) -> list[NewsItem]:
    """The newest items (home page, feed)."""
    return news_page(1, limit)[0]


def news_item(item_id: int) -> NewsItem | None:
    return db.session.get(NewsItem, item_id)
