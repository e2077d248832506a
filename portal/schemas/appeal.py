"""The citizen's appeal: one schema for the web form, the JSON API and Open311.

``AppealSubmissionSchema`` checks the shape of the input (lengths, formats, consent,
honeypot); whether the city and category exist and whether the point lies inside the
city is decided by ``portal.services.submission`` against the reference data, with the
same field-level errors. ``PhotoUploadSchema`` turns uploads (files, bytes or base64
strings) into bytes and checks their count and size; their content is judged by
``portal.photos`` when the appeal is stored.
"""

from __future__ import annotations

import base64
import binascii
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    post_load,
    pre_load,
    validate,
    validates,
)
from werkzeug.datastructures import FileStorage

from opendata.schema import APPEAL_KINDS
from portal.schemas import fields as f
from portal.schemas import grammar

MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 5000
CODE_RE = r"^[a-z0-9_-]{1,40}$"
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{6,30}$")

REQUIRED = _l("This field is required.")
#: Shared error messages so that every message a citizen can see is translated.
ERRORS = {
    "required": REQUIRED,
    "null": REQUIRED,
    "invalid": _l("Enter a valid value."),
}
NUMBER_ERRORS = {**ERRORS, "invalid": _l("Enter a number."), "special": _l("Enter a number.")}

#: The form's optional text fields: an empty value means "not given".
OPTIONAL_FIELDS = ("address", "name", "email", "phone")


#: A kind of appeal as sent: blank means "a problem", whitespace around it is stripped.
KIND_GRAMMAR = {
    "anyOf": [
        {"type": "string", "enum": list(APPEAL_KINDS)},
        grammar.stripped_match("|".join(map(re.escape, APPEAL_KINDS)), required=False),
    ]
}


def _text(**kwargs) -> f.String:
    return f.String(error_messages=ERRORS, **kwargs)


class AppealSubmissionSchema(Schema):
    """What a citizen sends; ``load`` returns the dict ``submit_appeal`` expects."""

    class Meta:
        unknown = EXCLUDE  # csrf_token, buttons, lang…

    city = _text(required=True, validate=validate.Regexp(CODE_RE, error=_l("Choose a city.")))
    category = _text(
        required=True, validate=validate.Regexp(CODE_RE, error=_l("Choose a category."))
    )
    kind = _text(
        load_default=APPEAL_KINDS[0],
        allow_none=True,  # absent, empty or null: a problem
        validate=validate.OneOf(
            APPEAL_KINDS, error=_l("Choose a problem, a proposal or a question.")
        ),
        metadata={
            "description": "problem (something to fix, the default), proposal or question.",
            "grammar": KIND_GRAMMAR,
        },
    )
    description = _text(
        required=True,
        metadata={
            "grammar": grammar.stripped_text(MIN_DESCRIPTION, MAX_DESCRIPTION, crlf_as_one=True)
        },
        validate=validate.Length(
            min=MIN_DESCRIPTION,
            max=MAX_DESCRIPTION,
            error=_l(
                "Describe the problem in %(min)s to %(max)s characters.",
                min=MIN_DESCRIPTION,
                max=MAX_DESCRIPTION,
            ),
        ),
    )
    lat = f.Float(
        required=True,
        allow_nan=False,
        error_messages={**NUMBER_ERRORS, "required": _l("Choose the place on the map.")},
        validate=validate.Range(-90, 90, error=_l("The latitude must be between -90 and 90.")),
    )
    lon = f.Float(
        required=True,
        allow_nan=False,
        error_messages={**NUMBER_ERRORS, "required": _l("Choose the place on the map.")},
        validate=validate.Range(-180, 180, error=_l("The longitude must be between -180 and 180.")),
    )
    address = _text(
        load_default=None,
        allow_none=True,
        metadata={"grammar": grammar.optional_text(300)},
        validate=validate.Length(max=300, error=_l("At most %(max)s characters.", max=300)),
    )
    name = _text(
        load_default=None,
        allow_none=True,
        metadata={"grammar": grammar.optional_text(200)},
        validate=validate.Length(max=200, error=_l("At most %(max)s characters.", max=200)),
    )
    email = _text(
        load_default=None,
        allow_none=True,
        metadata={"grammar": grammar.optional_email(200)},
        validate=[
            validate.Length(max=200, error=_l("At most %(max)s characters.", max=200)),
            validate.Email(error=_l("Enter a valid e-mail address.")),
        ],
    )
    phone = _text(
        load_default=None,
        allow_none=True,
        metadata={"grammar": grammar.optional_phone()},
        validate=validate.Regexp(PHONE_RE, error=_l("Enter a valid phone number.")),
    )
    consent = f.Boolean(
        required=True,
        metadata={"grammar": {"const": True}},
        error_messages={
            **ERRORS,
            "required": _l("Please agree to the privacy notice."),
            "invalid": _l("Please agree to the privacy notice."),
        },
    )
    # Honeypot: hidden from people by CSS; bots that fill every field are refused.
    website = _text(
        load_default="",
        metadata={
            "grammar": grammar.blank(),
            "description": "Leave out or empty: a filled-in value marks a bot.",
        },
    )

    @pre_load
    def clean(self, data, **kwargs):
        """Trim text, treat empty optional fields as absent, accept decimal commas."""
        if not hasattr(data, "items"):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if key in ("lat", "lon"):
                    value = value.replace(",", ".")
                if value == "" and key in (*OPTIONAL_FIELDS, "lat", "lon", "consent", "kind"):
                    continue
            cleaned[key] = value
        if "description" in cleaned and isinstance(cleaned["description"], str):
            cleaned["description"] = cleaned["description"].replace("\r\n", "\n")
        return cleaned

    @validates("consent")
    def check_consent(self, value, **kwargs):
        if value is not True:
            raise ValidationError(_l("Please agree to the privacy notice."))

    @validates("website")
    def check_honeypot(self, value, **kwargs):
        if value:
            raise ValidationError(_l("This field must be left empty."))

    @post_load
    def drop_honeypot(self, data, **kwargs):
        data.pop("website", None)
        if data.get("email"):
            data["email"] = data["email"].lower()
        return data


class UploadField(f.Field):
    """An uploaded photo as bytes: a form file, raw bytes, or a base64 string (JSON)."""

    default_error_messages = {
        **ERRORS,
        "invalid": _l("Attach a photo file."),
        "base64": _l("The photo is not valid base64."),
        "too_large": _l("The photo is larger than %(mb)s MB."),
    }

    def _deserialize(self, value, attr, data, **kwargs) -> bytes:
        limit = current_app.config["MAX_PHOTO_BYTES"]
        if isinstance(value, FileStorage):
            raw = value.stream.read(limit + 1)
        elif isinstance(value, bytes | bytearray):
            raw = bytes(value)
        elif isinstance(value, str):
            if len(value) > (limit + 2) * 4 // 3 + 4:
                raise self._too_large(limit)
            try:
                raw = base64.b64decode(value.split(",", 1)[-1], validate=True)
            except (binascii.Error, ValueError):
                raise self.make_error("base64") from None
        else:
            raise self.make_error("invalid")
        if len(raw) > limit:
            raise self._too_large(limit)
        return raw

    def _too_large(self, limit: int) -> ValidationError:
        return ValidationError(
            str(self.error_messages["too_large"]) % {"mb": limit // (1024 * 1024)}
        )


class PhotoUploadSchema(Schema):
    """Up to MAX_PHOTOS uploads, as bytes (empty file inputs are ignored)."""

    class Meta:
        unknown = EXCLUDE

    photos = f.List(UploadField(), load_default=list, error_messages=ERRORS)

    @pre_load
    def skip_empty_inputs(self, data, **kwargs):
        photos = data.get("photos") if hasattr(data, "get") else None
        if isinstance(photos, list | tuple):
            data = dict(data)
            data["photos"] = [
                p for p in photos if not (isinstance(p, FileStorage) and not p.filename)
            ]
        return data

    @validates("photos")
    def check_count(self, value, **kwargs):
        limit = current_app.config["MAX_PHOTOS"]
        if len(value) > limit:
            raise ValidationError(_l("Attach at most %(n)s photos.", n=limit))


class VideoUpload(f.Field):
    """An uploaded video file (form only) as bytes, at most MAX_VIDEO_BYTES; its content is
    judged by ``portal.videos.probe_video`` (the declared type is ignored)."""

    default_error_messages = {
        **ERRORS,
        "invalid": _l("Attach a video file."),
        "too_large": _l("The video is larger than %(mb)s MB."),
    }

    def _deserialize(self, value, attr, data, **kwargs) -> bytes | None:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        if not value.filename:
            return None  # the file input was left empty
        limit = current_app.config["MAX_VIDEO_BYTES"]
        raw = value.stream.read(limit + 1)
        if len(raw) > limit:
            message = str(self.error_messages["too_large"]) % {"mb": limit // (1024 * 1024)}
            raise ValidationError(message)
        return raw


class VideoUploadSchema(Schema):
    """At most one video (an empty file input: none)."""

    class Meta:
        unknown = EXCLUDE

    video = VideoUpload(load_default=None, allow_none=True)
