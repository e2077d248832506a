"""What the citizen pages need besides the use cases: choices for the form, request parsing.

Kept apart from the routes so that the views stay a few lines each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, request
from flask_babel import get_locale
from marshmallow import ValidationError

from portal import labels
from portal.i18n import localized
from portal.queries.reference import load_reference
from portal.schemas import error_dict
from portal.schemas.appeal import AppealSubmissionSchema, PhotoUploadSchema, VideoUploadSchema
from portal.services.core import ServiceError
from portal.services.submission import Origin, prepare_photos, resolve_place
from portal.services.videos import check_video


@dataclass
class CategoryGroup:
    code: str
    label: str
    categories: list[tuple[str, str]] = field(default_factory=list)  # (code, name)


def form_choices() -> dict:
    """Cities (with their extents for the map) and categories grouped, in the UI language."""
    ref = load_reference()
    cities = [
        {"slug": slug, "name": localized(city), "bbox": (city.extra or {}).get("bbox")}
        for slug, city in ref.cities.items()
    ]
    groups: dict[str, CategoryGroup] = {}
    seen: set[str] = set()
    for (_city, code), category in ref.categories.items():
        if code in seen:
            continue  # the same codes exist in every city
        seen.add(code)
        group = category.group or "other"
        if group not in groups:
            groups[group] = CategoryGroup(group, str(labels.CATEGORY_GROUP.get(group, group)))
        groups[group].categories.append((code, localized(category)))
    for group in groups.values():
        group.categories.sort(key=lambda item: item[1])
    return {"cities": cities, "category_groups": list(groups.values())}


def ui_language() -> str:
    return str(get_locale() or current_app.config["LANGUAGES"][0])


def request_origin(channel: str, *, retry_scope: str, retry_key: str | None) -> Origin:
    """How the appeal this request submits arrived: its channel, the interface language and
    the retry key (the form's token, or the Idempotency-Key header of an API client)."""
    return Origin(
        channel=channel, language=ui_language(), retry_key=retry_key, retry_scope=retry_scope
    )


@dataclass
class Submission:
    """The validated form: fields, photos, the video (None without one), field errors."""

    data: dict | None
    photos: list[bytes]
    video: bytes | None
    errors: dict[str, list[str]]


def parse_submission(form, files) -> Submission:
    """Validate the appeal fields, the photos and the video together."""
    errors: dict[str, list[str]] = {}
    data = None
    photos: list[bytes] = []
    video: bytes | None = None
    valid: dict = {}
    try:
        data = AppealSubmissionSchema().load(form)
    except ValidationError as error:
        errors.update(error_dict(error))
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
    try:
        photos = PhotoUploadSchema().load(files)["photos"]
    except ValidationError as error:
        errors.update(error_dict(error))
    try:
        video = VideoUploadSchema().load(files)["video"]
    except ValidationError as error:
        errors.update(error_dict(error))
    if errors:
        # The use case checks the place and the media's content; when the form goes back
        # anyway, run those checks too so that the citizen sees every problem at once.
        errors = _with_deeper_checks(errors, valid, photos, video)
    return Submission(data, photos, video, errors)


def _with_deeper_checks(
    errors: dict, valid: dict, photos: list[bytes], video: bytes | None
) -> dict:
    if all(key in valid for key in ("city", "category", "lat", "lon")):
        try:
            resolve_place(valid["city"], valid["category"], lat=valid["lat"], lon=valid["lon"])
        except ServiceError as error:
            for field_name, messages in error.errors.items():
                errors.setdefault(field_name, messages)
    if photos and "photos" not in errors:
        try:
            prepare_photos(photos)
        except ServiceError as error:
            errors.update(error.errors)
    if video and "video" not in errors:
        try:
            check_video(video)
        except ServiceError as error:
            errors.update(error.errors)
    return errors


def request_form_values() -> dict:
    """What the user typed, to show it again next to the errors."""
    return {key: request.form.get(key, "") for key in request.form}
