"""Input schemas of the staff area: login, inbox filters, appeal actions, administration.

The same schemas serve the HTML forms and (where present) the JSON API; every message is
translatable and attached to the field it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, post_load, validate, validates_schema

from opendata.schema import PROPOSAL_OUTCOMES
from portal.models import OPEN_STATUSES, AppealStatus, PrivacyTier, StaffRole
from portal.schemas import fields as f
from portal.schemas import grammar

CODE = validate.Regexp(
    r"^[a-z0-9_-]{1,40}$", error=_l("Use 1–40 lowercase letters, digits, - or _.")
)
PUBLIC_ID = validate.Regexp(
    r"^[A-Z]{3}-\d{4}-\d{6}$", error=_l("Use an appeal number like BSK-2026-000123.")
)
EMAIL = validate.Email(error=_l("Not a valid e-mail address."))
REQUIRED = {"required": _l("This field is required."), "null": _l("This field is required.")}
BOOLEAN_ERRORS = {"invalid": _l("Not a valid yes/no value.")}


class Text(f.String):
    """A string with surrounding whitespace removed; blank counts as missing."""

    default_error_messages = {
        **REQUIRED,
        "invalid": _l("Not a valid text."),
        "blank": _l("This field is required."),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text and self.required:
            raise self.make_error("blank")
        return text or None

    def _validate(self, value):
        if value is not None:  # blank optional text: nothing to validate
            super()._validate(value)

    @property
    def grammar(self) -> dict:
        """What a client may send (for the OpenAPI document): text within the length
        limits once stripped; when optional, blank too."""
        match = next((v for v in self.validators if isinstance(v, validate.Regexp)), None)
        if match is not None:
            return grammar.stripped_match(
                match.regex.pattern, required=self.required, strips_first=False
            )
        length = next((v for v in self.validators if isinstance(v, validate.Length)), None)
        high = length.max if length and length.max else 100_000
        if self.required:
            low = length.min if length and length.min else 1
            return grammar.stripped_text(low, high, strips_first=False)
        return grammar.optional_text(high, strips_first=False)


def _length(low: int, high: int) -> validate.Length:
    return validate.Length(low, high, error=_l("Use between {min} and {max} characters."))


def _int_field(**kwargs) -> f.Integer:
    return f.Integer(error_messages={**REQUIRED, "invalid": _l("Enter a whole number.")}, **kwargs)


class StaffSchema(Schema):
    """Base: unknown keys (csrf_token, submit buttons, lang…) are dropped."""

    class Meta:
        unknown = "exclude"


def load(schema: Schema, data) -> dict:
    """Validate a form/JSON mapping, treating empty strings as absent values."""
    if hasattr(data, "to_dict"):
        data = data.to_dict()
    cleaned = {key: value for key, value in dict(data).items() if value not in ("", None)}
    return schema.load(cleaned)


# --- Login --------------------------------------------------------------------------------


class LoginSchema(StaffSchema):
    email = Text(required=True, validate=_length(3, 200))
    password = f.String(required=True, validate=_length(1, 200), error_messages=REQUIRED)
    next = f.String(load_default=None)

    @post_load
    def safe_next(self, data, **kwargs):
        target = data.get("next") or ""
        # Only a local staff path: never an open redirect.
        if not (target.startswith("/staff") and "//" not in target and "\\" not in target):
            data["next"] = None
        return data


# --- Inbox ---------------------------------------------------------------------------------

INBOX_STATUSES = (*(s.value for s in OPEN_STATUSES), AppealStatus.ANSWERED.value)
#: Orders of the inbox; the first is the default.
INBOX_SORTS = ("deadline", "supporters")


@dataclass(frozen=True)
class InboxFilters:
    """Validated inbox filters; status None means "every open appeal"."""

    status: str | None = None
    category: str | None = None
    district: str | None = None
    overdue: bool = False
    public_id: str | None = None
    #: "deadline" (earliest first, the default) or "supporters" (most supported first).
    sort: str = "deadline"
    page: int = 1

    def query_args(self, **changes) -> dict[str, str]:
        """The filters as query arguments (for pagination links)."""
        values = {**self.__dict__, **changes}
        return {
            key: ("1" if value is True else str(value))
            for key, value in values.items()
            if value not in (None, False, "")
            and not (key == "page" and value == 1)
            and not (key == "sort" and value == INBOX_SORTS[0])
        }


class InboxFiltersSchema(StaffSchema):
    status = f.String(
        validate=validate.OneOf(INBOX_STATUSES, error=_l("Unknown status.")), load_default=None
    )
    category = f.String(validate=CODE, load_default=None)
    district = f.String(validate=CODE, load_default=None)
    overdue = f.Boolean(load_default=False, error_messages=BOOLEAN_ERRORS)
    public_id = Text(validate=PUBLIC_ID, load_default=None)
    sort = f.String(
        validate=validate.OneOf(INBOX_SORTS, error=_l("Unknown order.")),
        load_default=INBOX_SORTS[0],
    )
    page = _int_field(
        load_default=1,
        validate=validate.Range(1, 100_000, error=_l("Page must be between {min} and {max}.")),
    )

    @post_load
    def make(self, data, **kwargs) -> InboxFilters:
        return InboxFilters(**data)


# --- Appeal actions --------------------------------------------------------------------------

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


class PhotoUpload(f.Field):
    """An uploaded image (werkzeug FileStorage): its bytes, size- and type-checked."""

    grammar = {"description": "A JPEG, PNG or WebP file (HTML form only; ignored in JSON)."}

    default_error_messages = {
        "invalid": _l("Upload a photo (JPEG, PNG or WebP)."),
        "too_large": _l("The photo is too large."),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not getattr(value, "filename", None):
            return None
        if value.mimetype not in PHOTO_TYPES:
            raise self.make_error("invalid")
        limit = current_app.config["MAX_PHOTO_BYTES"]
        content = value.read(limit + 1)
        if len(content) > limit:
            raise self.make_error("too_large")
        if not content:
            raise self.make_error("invalid")
        return content


class VideoFile(f.Field):
    """An uploaded video (werkzeug FileStorage) as bytes, at most MAX_VIDEO_BYTES; its
    content is judged by ``portal.videos.probe_video`` (the declared type is ignored)."""

    grammar = {"description": "An MP4, MOV, 3GP or WebM file (HTML form only; ignored in JSON)."}

    default_error_messages = {"too_large": _l("The video is larger than %(mb)s MB.")}

    def _deserialize(self, value, attr, data, **kwargs):
        if not getattr(value, "filename", None):
            return None
        limit = current_app.config["MAX_VIDEO_BYTES"]
        content = value.read(limit + 1)
        if len(content) > limit:
            raise ValidationError(
                str(self.error_messages["too_large"]) % {"mb": limit // (1024 * 1024)}
            )
        return content or None


class AnswerSchema(StaffSchema):
    text = Text(required=True, validate=_length(10, 5000))
    internal_note = Text(validate=_length(1, 5000), load_default=None)
    photo = PhotoUpload(load_default=None)
    video = VideoFile(load_default=None)


#: Statuses a service may set directly (answered has its own form).
SETTABLE_STATUSES = ("in_progress", "solved", "not_responsible", "duplicate")


class SetStatusSchema(StaffSchema):
    status = f.String(
        required=True,
        validate=validate.OneOf(SETTABLE_STATUSES, error=_l("Unknown status.")),
        error_messages=REQUIRED,
    )
    duplicate_of = Text(validate=PUBLIC_ID, load_default=None)

    @validates_schema
    def duplicate_needs_original(self, data, **kwargs):
        if data.get("status") == "duplicate" and not data.get("duplicate_of"):
            raise ValidationError(
                _l("Give the number of the appeal this one duplicates."), "duplicate_of"
            )


class RerouteSchema(StaffSchema):
    service = f.String(required=True, validate=CODE, error_messages=REQUIRED)
    reason = Text(required=True, validate=_length(5, 1000))


class ExtendSchema(StaffSchema):
    days = _int_field(
        required=True,
        validate=validate.Range(1, 30, error=_l("Between {min} and {max} working days.")),
    )
    reason = Text(required=True, validate=_length(5, 1000))


class OutcomeSchema(StaffSchema):
    outcome = f.String(
        required=True,
        validate=validate.OneOf(
            PROPOSAL_OUTCOMES, error=_l("Choose accepted, planned or declined.")
        ),
        error_messages=REQUIRED,
    )
    reason = Text(load_default=None, validate=_length(1, 1000))  # required when declined


# --- Administration ------------------------------------------------------------------------


class _Names(StaffSchema):
    name_ru = Text(required=True, validate=_length(1, 200))
    name_ky = Text(required=True, validate=_length(1, 200))
    name_en = Text(required=True, validate=_length(1, 200))
    active = f.Boolean(load_default=False, error_messages=BOOLEAN_ERRORS)


class ServiceFormSchema(_Names):
    code = f.String(validate=CODE, load_default=None)  # on creation only
    city = f.String(validate=CODE, load_default=None)  # on creation only
    email = Text(load_default=None, validate=[_length(3, 200), EMAIL])


class CategoryFormSchema(_Names):
    code = f.String(validate=CODE, load_default=None)  # on creation only
    city = f.String(validate=CODE, load_default=None)  # on creation only
    group = f.String(validate=CODE, load_default=None)  # on creation only
    default_service = f.String(required=True, validate=CODE, error_messages=REQUIRED)
    deadline_days = _int_field(
        load_default=None,
        validate=validate.Range(1, 60, error=_l("Between {min} and {max} working days.")),
    )
    privacy_tier = f.String(
        required=True,
        validate=validate.OneOf([t.value for t in PrivacyTier], error=_l("Unknown tier.")),
        error_messages=REQUIRED,
    )


class StaffFormSchema(StaffSchema):
    email = Text(required=True, validate=[_length(3, 200), EMAIL])
    name = Text(required=True, validate=_length(1, 200))
    role = f.String(
        required=True,
        validate=validate.OneOf([r.value for r in StaffRole], error=_l("Unknown role.")),
        error_messages=REQUIRED,
    )
    service = f.String(validate=CODE, load_default=None)
    password = f.String(
        validate=_length(10, 200), load_default=None, error_messages=REQUIRED
    )  # required on creation (checked by the use case)
    active = f.Boolean(load_default=False, error_messages=BOOLEAN_ERRORS)

    @validates_schema
    def service_binding(self, data, **kwargs):
        if data.get("role") == "service" and not data.get("service"):
            raise ValidationError(_l("Service staff must belong to a service."), "service")
        if data.get("role") != "service" and data.get("service"):
            raise ValidationError(_l("Only service staff belong to a service."), "service")
