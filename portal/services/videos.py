"""Short videos of appeals and answers: attach (in the submission or answer transaction),
re-encode (the job), publish or withhold (a moderator).

A video is judged in the request (``portal.videos.probe_video``: container, duration,
resolution, truncation) and stored as it came, private, in state ``processing``; the job
``encode_video`` re-encodes it outside the request and hands the result to the
publication gate (``store_video_encoding``), state ``waiting``. Only a moderator's
``publish_video`` makes it public (with its appeal, and its answer's published text).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal import jobs
from portal.extensions import db
from portal.models import Answer, Appeal, StaffUser, Video, VideoState, utcnow
from portal.services import publication
from portal.services.core import Conflict, NotFound, ServiceError, transaction
from portal.services.permissions import ensure_can
from portal.videos import VideoRejected, new_video_id, probe_video, transcode_video


def check_video(raw: bytes, field: str = "video") -> None:
    """Probe an upload before anything is stored; ServiceError with a field error."""
    config = current_app.config
    try:
        probe_video(
            raw, max_bytes=config["MAX_VIDEO_BYTES"], max_seconds=config["MAX_VIDEO_SECONDS"]
        )
    except VideoRejected as rejected:
        raise ServiceError(rejected.message, {field: [rejected.message]}) from None


def attach_video(appeal: Appeal, raw: bytes, *, answer: Answer | None = None) -> Video:
    """Store a probed upload (private) inside the caller's transaction and queue its
    re-encoding for when that transaction commits."""
    video = Video(
        public_id=new_video_id(),
        appeal_id=appeal.id,
        answer_id=answer.id if answer is not None else None,
        state=VideoState.PROCESSING,
        private_raw=raw,
        created_at=utcnow(),
    )
    db.session.add(video)
    db.session.flush()
    jobs.enqueue_after_commit(db.session, "encode_video", video.id)
    return video


def encode(video_id: int) -> VideoState | None:
    """Re-encode a video waiting for it (the job's body); a video the re-encoding refuses
    is marked failed and never shown. Returns the new state (None: nothing to do)."""
    video = db.session.get(Video, video_id)
    if video is None or video.state is not VideoState.PROCESSING:
        return None
    config = current_app.config
    try:
        encoded = transcode_video(
            video.private_raw,
            max_seconds=config["MAX_VIDEO_SECONDS"],
            max_height=config["VIDEO_MAX_HEIGHT"],
        )
    except VideoRejected as rejected:
        with transaction():
            video.state, video.private_failure = VideoState.FAILED, rejected.code
            video.private_raw = b""  # nothing will read the upload again
        return video.state
    with transaction():
        publication.store_video_encoding(video, encoded)
        video.state = VideoState.WAITING
        # The upload (its GPS atom, device and owner tags) is not kept once re-encoded.
        video.private_raw = b""
    return video.state


def _locked_video(video_id: int) -> Video:
    video = db.session.scalars(
        select(Video)
        .where(Video.id == video_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if video is None:
        raise NotFound(_("No such video."))
    return video


def _decide(video_id: int, moderator: StaffUser, state: VideoState) -> Video:
    ensure_can(moderator, "moderate")
    with transaction():
        video = _locked_video(video_id)
        if video.state is not VideoState.WAITING:
            message = (
                _("This video is still being processed.")
                if video.state is VideoState.PROCESSING
                else _("This video has already been moderated.")
            )
            raise Conflict(message)
        now = utcnow()
        video.state, video.decided_at, video.private_moderator_id = state, now, moderator.id
        video.appeal.updated_at = now  # the public record changes (video_url)
    return video


def publish_video(video_id: int, moderator: StaffUser) -> Video:
    """Publish a re-encoded video: shown with its appeal (or its answer) once those are."""
    return _decide(video_id, moderator, VideoState.PUBLISHED)


def withhold_video(video_id: int, moderator: StaffUser) -> Video:
    """Decide that a video is never published."""
    return _decide(video_id, moderator, VideoState.WITHHELD)
