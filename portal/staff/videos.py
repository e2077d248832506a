"""Moderation of short videos: the queue, one video (watch it, publish or withhold), and
the re-encoded file and poster for moderators.

Decisions are the staff actions ``publish_video`` and ``withhold_video``
(``portal.services.actions``); reads are ``portal.queries.videos``. Moderators watch the
re-encoded file — what the public would get — never the upload.
"""

from __future__ import annotations

import io

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from portal.extensions import db
from portal.models import Video
from portal.queries.videos import video_counts, waiting_videos
from portal.services.actions import VIDEO, on
from portal.services.core import Forbidden, ServiceError
from portal.services.permissions import ensure_can
from portal.staff import bp
from portal.staff.errors import FINAL

#: The decision buttons' values → the registry's actions on a video.
DECISIONS = {action.path: action for action in on(VIDEO)}


def _moderator():
    user = current_user._get_current_object()
    try:
        ensure_can(user, "moderate")
    except Forbidden:
        abort(403)
    return user


def _video(video_id: int) -> Video:
    video = db.session.get(Video, video_id)
    if video is None:
        abort(404)
    return video


@bp.get("/moderation/videos")
@login_required
def moderation_videos():
    """Re-encoded videos waiting for a moderator, oldest first."""
    _moderator()
    return render_template(
        "staff/moderation_videos.html", videos=waiting_videos(), counts=video_counts()
    )


@bp.route("/moderation/videos/<int:video_id>", methods=["GET", "POST"])
@login_required
def moderation_video(video_id: int):
    """One video: watch it, then publish or withhold it."""
    user = _moderator()
    video = _video(video_id)
    if request.method == "GET":
        return render_template("staff/moderation_video.html", video=video, error=None)
    action = DECISIONS.get(request.form.get("action", ""))
    if action is None:
        abort(400)
    try:
        action.perform(user, video_id, request.form.to_dict())
    except FINAL:
        raise  # the blueprint's error page (portal.staff.errors)
    except ServiceError as error:
        page = render_template("staff/moderation_video.html", video=video, error=error.message)
        return page, error.status_code
    flash(str(action.done), "success")
    return redirect(url_for("staff.moderation_videos"))


def _private_media(data: bytes | None, mimetype: str) -> Response:
    """Bytes only moderators may see: 404 when not made yet, never cached; ranges served
    (a player seeks with them)."""
    if data is None:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=mimetype, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/moderation/videos/<int:video_id>/video.mp4")
@login_required
def moderation_video_file(video_id: int):
    """The re-encoded video, for moderators."""
    _moderator()
    return _private_media(_video(video_id).data, "video/mp4")


@bp.get("/moderation/videos/<int:video_id>/poster.jpg")
@login_required
def moderation_video_poster(video_id: int):
    """The poster frame, for moderators."""
    _moderator()
    return _private_media(_video(video_id).poster, "image/jpeg")
