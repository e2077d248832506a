"""Reading videos: what the public may watch, and what waits for a moderator.

A video is public when a moderator published it, its appeal is public and, for a video
of an answer, that answer's text is published (the same rule as photos, plus the
moderator's decision).
"""

from __future__ import annotations

from sqlalchemy import func, literal, or_, select

from portal.extensions import db
from portal.models import PUBLIC_STATUSES, Answer, Appeal, Video, VideoState

#: Where the public fetches a video and its poster (portal.public.videos), by public id.
VIDEO_PATH = "/videos/{id}.mp4"
POSTER_PATH = "/videos/{id}.jpg"


def _public_rule(query):
    return (
        query.join(Appeal, Appeal.id == Video.appeal_id)
        .outerjoin(Answer, Answer.id == Video.answer_id)
        .where(
            Video.state == VideoState.PUBLISHED,
            Appeal.status.in_(PUBLIC_STATUSES),
            or_(Video.answer_id.is_(None), Answer.public_text.is_not(None)),
        )
    )


def appeal_video_url():
    """The public path of the published video of the appeal in the outer query, else NULL
    (correlated; the public record's ``video_url``)."""
    prefix, suffix = VIDEO_PATH.split("{id}")
    return (
        select(literal(prefix) + Video.public_id + literal(suffix))
        .where(
            Video.appeal_id == Appeal.id,
            Video.answer_id.is_(None),
            Video.state == VideoState.PUBLISHED,
        )
        .limit(1)
        .correlate(Appeal)
        .scalar_subquery()
    )


def poster_url(video_url: str | None) -> str | None:
    """The poster's path next to a video's public path."""
    if not video_url:
        return None
    public_id = video_url.rsplit("/", 1)[-1].removesuffix(".mp4")
    return POSTER_PATH.format(id=public_id)


def published_video(public_id: str) -> bytes | None:
    """The re-encoded MP4 of a public video (see the module), else None. Only the published
    column is read: never the upload (``private_raw``), which may carry the GPS point."""
    return _published(Video.data, public_id)


def published_poster(public_id: str) -> bytes | None:
    """The poster JPEG of a public video, else None."""
    return _published(Video.poster, public_id)


def _published(column, public_id: str) -> bytes | None:
    query = _public_rule(select(column)).where(Video.public_id == public_id)
    return db.session.scalars(query).first()


def answer_video_urls(appeal_public_id: str) -> dict[int, str]:
    """The public paths of an appeal's published answer videos, by answer id."""
    rows = db.session.execute(
        _public_rule(select(Video.answer_id, Video.public_id)).where(
            Appeal.public_id == appeal_public_id, Video.answer_id.is_not(None)
        )
    )
    return {row.answer_id: VIDEO_PATH.format(id=row.public_id) for row in rows}


def waiting_videos(limit: int = 200) -> list[Video]:
    """Videos re-encoded and waiting for a moderator, oldest first."""
    query = (
        select(Video)
        .where(Video.state == VideoState.WAITING)
        .order_by(Video.created_at, Video.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def video_counts() -> dict[str, int]:
    """How many videos are in each state (the moderators' overview)."""
    rows = db.session.execute(select(Video.state, func.count()).group_by(Video.state))
    return {state.value: count for state, count in rows}
