"""Citizen routes: appeal form, preview, tracking and rating page, photos.

Thin views: schema → service → render. The form is rate limited per client (Redis when
PORTAL_REDIS_URL is set), protected by CSRF and a honeypot field.
"""

from __future__ import annotations

import io
import secrets

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from portal.citizen import bp
from portal.citizen.forms import (
    form_choices,
    parse_submission,
    request_form_values,
    request_origin,
    ui_language,
)
from portal.extensions import limiter
from portal.photos import appeal_photo, appeal_photos, published_photo
from portal.queries.nearby import DUPLICATE_RADIUS_M, DUPLICATE_WINDOW_DAYS
from portal.queries.videos import published_poster, published_video
from portal.schemas import error_dict
from portal.schemas.appeal import AppealSubmissionSchema
from portal.schemas.rating import RatingSchema
from portal.services.core import ServiceError, deadline_days
from portal.services.idempotency import KeyRefused
from portal.services.publication import text_for_addressee
from portal.services.rating import TokenRefused, rate_answer, reopen_appeal
from portal.services.submission import scrub_preview, submit_appeal
from portal.services.tokens import TokenProblem, resolve

#: Photos never change once stored (new photo, new id): cache them for a year.
PHOTO_CACHE_SECONDS = 365 * 86400
#: Previews run the scrubber (CPU): generous for people, a brake for scripts.
PREVIEW_RATE_LIMIT = "30 per minute"


def submit_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


def render_form(values: dict | None = None, errors: dict | None = None, preview=None, status=200):
    values = dict(values or {})
    if not values.get("form_token"):
        # One-time token: sending this form twice (a retry, a double click) stores one appeal.
        values["form_token"] = secrets.token_urlsafe(24)
    page = render_template(
        "citizen/new_appeal.html",
        values=values,
        errors=errors or {},
        preview=preview,
        tile_url=current_app.config["TILE_URL"],
        tile_attribution=current_app.config["TILE_ATTRIBUTION"],
        max_photos=current_app.config["MAX_PHOTOS"],
        max_photo_mb=current_app.config["MAX_PHOTO_BYTES"] // (1024 * 1024),
        max_photo_bytes=current_app.config["MAX_PHOTO_BYTES"],
        max_video_mb=current_app.config["MAX_VIDEO_BYTES"] // (1024 * 1024),
        max_video_seconds=current_app.config["MAX_VIDEO_SECONDS"],
        nearby_radius_m=DUPLICATE_RADIUS_M,
        nearby_window_days=DUPLICATE_WINDOW_DAYS,
        **form_choices(),
    )
    return page, status


@bp.get("/appeals/new")
def new_appeal():
    """The empty appeal form."""
    return render_form(values={"city": request.args.get("city", "")})


@bp.post("/appeals/new")
@limiter.shared_limit(submit_limit, scope="appeal-submit")
def submit():
    """Store the appeal, or show the form again with field errors and the typed values."""
    parsed = parse_submission(
        request.form,
        {"photos": request.files.getlist("photos"), "video": request.files.get("video")},
    )
    errors, values = parsed.errors, request_form_values()
    if not errors:
        try:
            token = request.form.get("form_token") or None
            origin = request_origin("web", retry_scope="form", retry_key=token)
            result = submit_appeal(parsed.data, parsed.photos, origin, video=parsed.video)
        except KeyRefused:  # this form was sent before with other content: a fresh form
            message = _("This form has already been sent. Please check it and send it again.")
            errors, values["form_token"] = {"_schema": [message]}, ""
        except ServiceError as error:
            errors = error.errors or {"_schema": [error.message]}
        else:
            return redirect(url_for("citizen.track", token=result.tracking_token, receipt=1))
    return render_form(values, errors, status=400)


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """A stale or missing CSRF token on the appeal form: show the form again, with what the
    citizen typed (nothing is stored). Elsewhere the portal's usual 400 page."""
    if request.endpoint in ("citizen.submit", "citizen.preview"):
        errors = {"_schema": [_("The form has expired. Please check it and send it again.")]}
        return render_form(request_form_values(), errors, status=400)
    from portal.errors import handle_http_error

    return handle_http_error(error)


@bp.post("/appeals/preview")
@limiter.limit(PREVIEW_RATE_LIMIT)
def preview():
    """What would be published of the description (JSON for the script, HTML without it)."""
    text = request.form.get("description", "").strip()
    scrubbed = scrub_preview(text, ui_language()) if text else None
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            text=scrubbed if scrubbed is not None else text, scrubbed=scrubbed is not None
        )
    try:
        AppealSubmissionSchema().load(request.form)
        errors = {}
    except ValidationError as error:
        errors = error_dict(error)
    preview = {"text": scrubbed if scrubbed is not None else text, "scrubbed": scrubbed is not None}
    return render_form(request_form_values(), errors, preview=preview)


def render_problem(problem: TokenProblem | TokenRefused):
    status = TokenRefused.STATUS[problem.code]
    return render_template("citizen/token_problem.html", problem=problem), status


@bp.get("/t/<token>")
def track(token: str):
    """The citizen's private page: status, timeline, deadline, answers, rating."""
    try:
        access = resolve(token)
    except TokenProblem as problem:
        if problem.access is None:
            return render_problem(problem)
        access, notice = problem.access, problem.message
    else:
        notice = None
    return _tracking_page(token, access, notice=notice)


def _tracking_page(token, access, *, notice=None, values=None, errors=None, status=200):
    response = render_template(
        "citizen/track.html",
        deadline_days=deadline_days(access.appeal.category),
        just_rated=request.args.get("rated"),
        just_reopened=request.args.get("reopened") == "1",
        token=token,
        access=access,
        appeal=access.appeal,
        notice=notice,
        receipt=request.args.get("receipt") == "1",
        tracking_link=url_for("citizen.track", token=token, _external=True),
        values=values or {},
        errors=errors or {},
        photos=[photo.public_id for photo in appeal_photos(access.appeal.id)],
        answer_texts={a.id: text_for_addressee(a) for a in access.appeal.answers},
    )
    return Response(response, status, headers={"Cache-Control": "no-store"})


@bp.post("/t/<token>/rate")
def rate(token: str):
    """Store the rating; field errors keep what was typed; a second rating is refused."""
    try:
        data = RatingSchema().load(request.form)
    except ValidationError as error:
        try:
            access = resolve(token)
        except TokenProblem as problem:
            return render_problem(problem)
        return _tracking_page(
            token, access, values=request_form_values(), errors=error_dict(error), status=400
        )
    try:
        result = rate_answer(token, data)
    except TokenRefused as refused:
        if refused.code == "used":
            return _already_rated(token)
        return render_problem(refused)
    except ServiceError as error:  # Conflict: already rated / nothing to rate
        return _already_rated(token, error.message)
    return redirect(url_for("citizen.track", token=token, rated=1 if result.closed else 2))


def _already_rated(token: str, message: str | None = None):
    message = message or _("This answer has already been rated. Thank you.")
    try:
        access = resolve(token)
    except TokenProblem as problem:
        if problem.access is None:
            return render_template("citizen/token_problem.html", problem=problem), 409
        access = problem.access
    return _tracking_page(token, access, notice=message, status=409)


@bp.post("/t/<token>/reopen")
def reopen(token: str):
    """Send the appeal back to the service after an unsatisfied rating."""
    try:
        reopen_appeal(token)
    except TokenRefused as refused:
        return render_problem(refused)
    except ServiceError as error:
        return _already_rated(token, error.message)
    return redirect(url_for("citizen.track", token=token, reopened=1))


@bp.get("/t/<token>/photos/<public_id>")
def own_photo(token: str, public_id: str):
    """The citizen's own photo (re-encoded copy), also before publication; private cache."""
    try:
        access = resolve(token)
    except TokenProblem as problem:
        if problem.access is None:
            abort(404)
        access = problem.access
    stored = appeal_photo(access.appeal.id, public_id)
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/photos/<public_id>")
def photo(public_id: str):
    """A re-encoded photo of a published appeal (never the original, never before publishing)."""
    stored = published_photo(public_id)
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_CACHE_SECONDS}, immutable"
    return response


@bp.get("/videos/<public_id>.mp4")
def video(public_id: str):
    """A re-encoded video a moderator published (never the upload); Range requests work,
    so players can seek."""
    data = published_video(public_id)
    if data is None:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="video/mp4", conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_CACHE_SECONDS}"
    return response


@bp.get("/videos/<public_id>.jpg")
def video_poster(public_id: str):
    """The poster frame of a published video (pixels only)."""
    poster = published_poster(public_id)
    if poster is None:
        abort(404)
    response = Response(poster, mimetype="image/jpeg")
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_CACHE_SECONDS}"
    return response
