"""Citizen API: submit an appeal, follow it, rate an answer, reopen.

The same schemas and use cases as the web form. Errors: 400 ``{"errors": {field: [...]}}``;
an unknown link 404, an expired one 410, a used one or a second rating 409 (same shape).
JSON bodies carry photos as base64 strings (``"photos": ["..."]``); multipart bodies as
files named ``photos``.
"""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from portal.api import bp, responses
from portal.api.openapi import CITIZEN_TAG, documented, json_body, place_constraints
from portal.citizen.forms import parse_submission, request_origin
from portal.citizen.views import submit_limit
from portal.extensions import limiter
from portal.schemas import error_dict
from portal.schemas.appeal import AppealSubmissionSchema
from portal.schemas.rating import RatingSchema
from portal.services.core import ServiceError
from portal.services.publication import text_for_addressee
from portal.services.rating import TokenRefused, rate_answer, reopen_appeal
from portal.services.submission import submit_appeal
from portal.services.tokens import TokenProblem, resolve
from portal.workdays import local_iso


def errors_response(errors: dict, status: int = 400):
    return jsonify(errors=errors), status


def _body() -> tuple[dict, dict] | None:
    """(fields, media) from a JSON or a multipart/form body; None for a non-object JSON.
    A video comes only as a multipart file (``video``): base64 would add a third."""
    if request.is_json:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return None
        photos = payload.get("photos") or []
        fields = {key: value for key, value in payload.items() if key != "photos"}
        return fields, {"photos": photos if isinstance(photos, list) else [photos]}
    return request.form, {
        "photos": request.files.getlist("photos"),
        "video": request.files.get("video"),
    }


def _submission_body(ctx, converter) -> dict:
    """The appeal form's schema, with the cities and categories that exist."""
    body = converter.schema2jsonschema(AppealSubmissionSchema)
    names = {"city": "city", "category": "category", "lat": "lat", "lon": "lon"}
    return {"application/json": {"schema": place_constraints(body, ctx, names)}}


TOKEN = {"token": "The private tracking token."}
TOKEN_ERRORS = {
    404: ("Unknown link.", responses.FieldErrors),
    409: ("Already used, or not possible now.", responses.FieldErrors),
    410: ("Expired link.", responses.FieldErrors),
}


@bp.post("/v1/appeals")
@documented(
    summary="Submit an appeal (it waits for moderation)",
    description=(
        "The fields go as a JSON object or as multipart/form-data parts. Photos: in JSON a "
        "`photos` array of base64 strings, in multipart one file part `photos` per photo (JPEG,"
        " PNG or WebP; at most MAX_PHOTOS of MAX_PHOTO_BYTES each). A short video goes only as "
        "a multipart file part `video` (MP4, MOV, 3GP or WebM; at most "
        "MAX_VIDEO_BYTES and MAX_VIDEO_SECONDS). Photos are re-encoded without their metadata "
        "(EXIF, GPS); the video is re-encoded to H.264 MP4 after the appeal is stored, with no "
        "metadata (a phone's GPS location, make and dates are not copied). A fake or oversized "
        "file is a 400 naming `photos` or `video`, and nothing is stored."
    ),
    tag=CITIZEN_TAG,
    body=_submission_body,
    responses={
        201: ("Stored: public id, deadline and the private tracking link.", responses.Submitted),
        400: ("Invalid input, field by field.", responses.FieldErrors),
        429: ("Too many submissions from this address.", responses.ApiError),
    },
)
@limiter.shared_limit(submit_limit, scope="appeal-submit")
def submit_appeal_api():
    """Submit an appeal; 201 with its public id, deadline and the private tracking link."""
    body = _body()
    if body is None:
        return errors_response({"_schema": [_("Send a JSON object.")]})
    fields, photos = body  # photos and the video
    parsed = parse_submission(fields, photos)
    if parsed.errors:
        return errors_response(parsed.errors)
    try:
        key = request.headers.get("Idempotency-Key")
        origin = request_origin("api", retry_scope="api", retry_key=key)
        result = submit_appeal(parsed.data, parsed.photos, origin, video=parsed.video)
    except ServiceError as error:
        return errors_response(error.errors or {"_schema": [error.message]}, error.status_code)
    appeal = result.appeal
    body = {
        "public_id": appeal.public_id,
        "status": appeal.status.value,
        "submitted_at": local_iso(appeal.submitted_at),
        "due_at": local_iso(result.due_at),
        "tracking_url": url_for("citizen.track", token=result.tracking_token, _external=True),
        "tracking_token": result.tracking_token,
    }
    return jsonify(body), 201


def _token_error(problem: TokenProblem | TokenRefused):
    return errors_response({"token": [problem.message]}, TokenRefused.STATUS[problem.code])


@bp.get("/v1/track/<token>")
@documented(
    summary="The appeal as its citizen sees it (private link)",
    tag=CITIZEN_TAG,
    path=TOKEN,
    responses={200: ("The appeal.", {"type": "object"}), **TOKEN_ERRORS},
)
def track_api(token: str):
    """The appeal as its citizen sees it, and whether an answer can be rated now."""
    try:
        access = resolve(token)
    except TokenProblem as problem:
        if problem.access is None:
            return _token_error(problem)
        access = problem.access
    appeal = access.appeal
    response = jsonify(
        public_id=appeal.public_id,
        status=appeal.status.value,
        submitted_at=local_iso(appeal.submitted_at),
        due_at=local_iso(appeal.due_at),
        reopen_count=appeal.reopen_count,
        answers=[
            {
                "id": answer.id,
                "round": answer.round,
                "created_at": local_iso(answer.created_at),
                "text": text_for_addressee(answer),
                "published": answer.public_text is not None,
                "rating": (
                    {"score": answer.rating.score, "solved": answer.rating.solved.value}
                    if answer.rating
                    else None
                ),
            }
            for answer in appeal.answers
        ],
        timeline=[
            {"kind": event.kind.value, "at": local_iso(event.created_at)} for event in appeal.events
        ],
        can_rate_answer=access.rateable.id if access.rateable else None,
        can_reopen=access.reopenable is not None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/v1/track/<token>/rating")
@documented(
    summary="Rate the answer the private link allows rating",
    tag=CITIZEN_TAG,
    path={"token": "The private tracking or rating token."},
    body=json_body(RatingSchema),
    responses={
        201: ("Rated.", {"type": "object"}),
        400: ("Invalid input, field by field.", responses.FieldErrors),
        **TOKEN_ERRORS,
    },
)
def rate_api(token: str):
    """Rate the answer the link allows rating: 201, or 400/404/409/410 with errors."""
    payload = request.get_json(silent=True) if request.is_json else request.form
    try:
        data = RatingSchema().load(payload if payload is not None else {})
    except ValidationError as error:
        return errors_response(error_dict(error))
    try:
        result = rate_answer(token, data)
    except TokenRefused as refused:
        return _token_error(refused)
    except ServiceError as error:
        return errors_response({"_schema": [error.message]}, error.status_code)
    return jsonify(
        status=result.appeal.status.value,
        score=result.rating.score,
        solved=result.rating.solved.value,
        closed=result.closed,
        can_reopen=result.may_reopen,
    ), 201


@bp.post("/v1/track/<token>/reopen")
@documented(
    summary="Reopen the appeal after an unsatisfied rating",
    tag=CITIZEN_TAG,
    path=TOKEN,
    responses={200: ("Reopened.", {"type": "object"}), **TOKEN_ERRORS},
)
def reopen_api(token: str):
    """Reopen after an unsatisfied rating: the new deadline, or 409 when not possible."""
    try:
        appeal = reopen_appeal(token)
    except TokenRefused as refused:
        return _token_error(refused)
    except ServiceError as error:
        return errors_response({"_schema": [error.message]}, error.status_code)
    current_app.logger.info("appeal %s reopened by its citizen", appeal.public_id)
    return jsonify(
        status=appeal.status.value,
        due_at=local_iso(appeal.due_at),
        reopen_count=appeal.reopen_count,
    )
