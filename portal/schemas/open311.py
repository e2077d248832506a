"""Input schemas of the Open311 GeoReport v2 API (query strings and POST bodies).

Open311 sends lists as comma-separated values (``service_code=pothole,garbage``) and
dates in W3C format, i.e. RFC 3339 (``2010-01-01T00:00:00Z`` or with an offset). The
grammar is strict and exactly what the OpenAPI document promises: no empty values, no
spaces, ASCII digits, ``true``/``false``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    post_load,
    pre_load,
    validate,
)

from portal.schemas import fields as f
from portal.schemas import grammar
from portal.schemas.appeal import AppealSubmissionSchema, UploadField
from portal.schemas.filters import search_field

#: Window of GET requests when no date is given (the specification's 90 days).
MAX_WINDOW = timedelta(days=90)
#: How many ids one ``service_request_id`` list may hold.
MAX_IDS = 100
#: The city of requests that name none.
DEFAULT_JURISDICTION = "bishkek"
#: Longest first_name or last_name (joined, they make the appeal's name of ≤ 200).
MAX_NAME_PART = 99
#: Largest page number.
MAX_PAGE = 1_000_000

# The query grammar, shared with the OpenAPI document (portal.api.openapi): what these
# patterns accept is exactly what the schemas below accept.
CODE_RE = r"^[a-z0-9_-]{1,40}$"
PUBLIC_ID_RE = r"^[A-Z]{3}-[0-9]{4}-[0-9]{6}$"
_CODE = r"[a-z0-9_-]{1,40}"
_ID = r"[A-Z]{3}-[0-9]{4}-[0-9]{6}"
CODE_LIST_RE = rf"^{_CODE}(,{_CODE}){{0,{MAX_IDS - 1}}}$"
ID_LIST_RE = rf"^{_ID}(,{_ID}){{0,{MAX_IDS - 1}}}$"
STATUS_LIST_RE = r"^(open|closed)(,(open|closed))?$"
STATUSES = ("open", "closed")
_RFC3339 = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(Z|([+-])([0-9]{2}):([0-9]{2}))$",
    re.ASCII,
)
_INTEGER = re.compile(r"^-?[0-9]+(\.0+)?$", re.ASCII)  # 5 or 5.0, a whole number


def parse_rfc3339(value: str) -> datetime | None:
    """An RFC 3339 date-time (``2010-01-01T00:00:00Z``, offsets allowed) in UTC, or None.

    Like every date the portal reads, its local date lies between fields.EARLIEST_DATE and
    fields.LATEST_DATE (so converting it to UTC cannot overflow); other years are None.
    """
    match = _RFC3339.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        if match.group(8) == "Z":
            zone = UTC
        else:
            sign = -1 if match.group(9) == "-" else 1
            hours, minutes = int(match.group(10)), int(match.group(11))
            if hours > 23 or minutes > 59:
                return None
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        local = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError:  # month 13, February 30, second 60…
        return None
    if not f.EARLIEST_DATE <= local.date() <= f.LATEST_DATE:
        return None
    return local.astimezone(UTC)


class W3CDateTime(f.Field):
    """An RFC 3339 date-time (the specification's W3C format: ``2010-01-01T00:00:00Z``)."""

    grammar = {"type": "string", "format": "date-time", "pattern": r"^20[0-9]{2}-"}

    default_error_messages = {
        "invalid": _l(
            "Use a date-time like 2026-01-31T00:00:00+06:00, between the years 2000 and 2099."
        ),
    }

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = parse_rfc3339(value) if isinstance(value, str) else None
        if moment is None:
            raise self.make_error("invalid")
        return moment


class StrictInteger(f.Integer):
    """A whole number in ASCII digits (``5`` or ``5.0``; no spaces, no ``5.5``, no ``٥``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if not _INTEGER.match(value):
                raise self.make_error("invalid")
            value = value.split(".")[0]
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(f.Boolean):
    """``true`` or ``false`` (as OpenAPI serialises booleans in a query string)."""

    truthy = {"true", True}
    falsy = {"false", False}


class CommaList(f.Field):
    """``a,b,c`` → ``("a", "b", "c")`` (duplicates dropped); the whole matches ``pattern``."""

    default_error_messages = {"invalid": _l("Give one or more values separated by commas.")}

    def __init__(self, pattern: str, *, error=None, **kwargs):
        super().__init__(**kwargs)
        self.pattern = re.compile(pattern, re.ASCII)
        self.error = error or self.default_error_messages["invalid"]
        self.grammar = {"type": "string", "pattern": pattern}

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        if not isinstance(value, str) or not self.pattern.match(value):
            raise ValidationError(str(self.error))
        return tuple(dict.fromkeys(value.split(",")))


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE  # api_key, lang, format… are not filters

    @pre_load
    def mapping_only(self, data, **kwargs):
        if not isinstance(data, Mapping):
            raise ValidationError(str(_l("Send the fields as a form or a JSON object.")))
        return dict(data.items())


def _code(message, description: str) -> f.String:
    return f.String(
        validate=validate.Regexp(CODE_RE, error=message), metadata={"description": description}
    )


def _jurisdiction() -> f.String:
    return _code(
        _l("Unknown jurisdiction_id."),
        "City slug (bishkek, osh); bishkek when omitted. Unknown cities are 404.",
    )


class JurisdictionArgsSchema(_Base):
    """Arguments of discovery, service list and service definition."""

    jurisdiction_id = _jurisdiction()


@dataclass(frozen=True)
class RequestQuery:
    """Validated arguments of GET requests (None means "any")."""

    jurisdiction_id: str | None = None
    service_request_id: tuple[str, ...] | None = None
    service_code: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    page: int = 1
    page_size: int | None = None
    extensions: bool = False
    q: str | None = None  # extension (like Mark-a-Spot): text search, portal.queries.search

    @property
    def has_dates(self) -> bool:
        return any((self.start_date, self.end_date, self.updated_after, self.updated_before))


def _integer(name: str, description: str, maximum: int | None = None) -> StrictInteger:
    return StrictInteger(
        strict=False,
        validate=validate.Range(
            min=1, max=maximum, error=_l("%(name)s must be 1 or more.", name=name)
        ),
        error_messages={"invalid": _l("%(name)s must be a whole number.", name=name)},
        metadata={"description": description},
    )


def _boolean() -> StrictBoolean:
    return StrictBoolean(
        error_messages={"invalid": _l("extensions must be true or false.")},
        metadata={
            "description": "true: add notes (the public timeline) and extended_attributes "
            "(every other published field, answers and ratings)."
        },
    )


def _moment(description: str) -> W3CDateTime:
    return W3CDateTime(metadata={"description": description})


class RequestQuerySchema(_Base):
    """GET requests: the specification's arguments plus page/page_size/updated_*/extensions.

    Ranges are not refused: a start after its end simply matches nothing.
    """

    jurisdiction_id = _jurisdiction()
    service_request_id = CommaList(
        ID_LIST_RE,
        error=_l("Give up to 100 ids like BSK-2026-000123."),
        metadata={
            "description": "Up to 100 comma-separated ids (BSK-2026-000123); overrides the rest."
        },
    )
    service_code = CommaList(
        CODE_LIST_RE,
        error=_l("Give up to 100 service codes."),
        metadata={"description": "Comma-separated category codes; unknown codes are 404."},
    )
    status = CommaList(
        STATUS_LIST_RE,
        error=_l("status must be open or closed."),
        metadata={"description": "open, closed or open,closed."},
    )
    start_date = _moment("requested_datetime ≥ this (RFC 3339).")
    end_date = _moment("requested_datetime ≤ this (RFC 3339).")
    updated_after = _moment("Extension: updated_datetime ≥ this.")
    updated_before = _moment("Extension: updated_datetime ≤ this.")
    q = search_field()
    page = _integer("page", "Extension: page number, from 1.", MAX_PAGE)
    page_size = _integer("page_size", "Extension: requests per page (default PAGE_SIZE).")
    extensions = _boolean()

    def __init__(self, *, max_page_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_page_size = max_page_size
        # The setting's limit, as a rule of the field (so the OpenAPI document states it).
        message = _l("page_size must be at most %(max)d.", max=max_page_size)
        self.fields["page_size"].validators.append(validate.Range(max=max_page_size, error=message))

    @post_load
    def make(self, data, **kwargs) -> RequestQuery:
        return RequestQuery(**data)


class ExtensionsArgsSchema(_Base):
    """GET requests/<id>: jurisdiction and the extensions switch."""

    jurisdiction_id = _jurisdiction()
    extensions = _boolean()


class ApiKeySchema(_Base):
    """The ``api_key`` of POST requests (form field, JSON member or query argument)."""

    api_key = f.String(load_default=None, validate=validate.Length(max=200))


#: Open311 POST fields → fields of the citizen's appeal (AppealSubmissionSchema).
#: ``attribute[kind]`` (extended attribute) is the kind of appeal: problem (the default),
#: proposal or question. ``media_url``, ``address_id``, ``device_id``, ``account_id`` and
#: other ``attribute[…]`` are accepted and ignored; ``first_name`` and ``last_name`` become
#: ``name``. A multipart body may carry an image in the file part ``media`` (MEDIA_FIELD),
#: stored as the web form's ``photos`` are.
POST_FIELDS = {
    "jurisdiction_id": "city",
    "service_code": "category",
    "description": "description",
    "lat": "lat",
    "long": "lon",
    "address_string": "address",
    "email": "email",
    "phone": "phone",
    "attribute[kind]": "kind",
}
MEDIA_FIELD = "media"
_OPEN311_NAME = {portal: open311 for open311, portal in POST_FIELDS.items()} | {
    "name": "first_name",
    "photos": MEDIA_FIELD,
}


def documented_request_body() -> type[Schema]:
    """POST requests as the OpenAPI document describes it: the appeal form's fields
    (AppealSubmissionSchema) under their Open311 names (POST_FIELDS), the jurisdiction
    optional, the name in two parts, media_url accepted and ignored. (``load_new_request``
    reads the body; this schema only describes it.)"""
    declared = AppealSubmissionSchema._declared_fields
    fields: dict[str, f.Field] = {}
    for open311, portal in POST_FIELDS.items():
        fields[open311] = copy.deepcopy(declared[portal])
    jurisdiction = fields["jurisdiction_id"]
    jurisdiction.required, jurisdiction.allow_none = False, True  # bishkek when omitted
    for part in ("first_name", "last_name"):
        fields[part] = f.String(
            allow_none=True, metadata={"grammar": grammar.optional_text(MAX_NAME_PART)}
        )
    fields["media_url"] = f.Raw(metadata={"description": "Accepted and ignored."})
    return _Base.from_dict(fields, name="Open311NewRequestBody")


def load_new_request(data, *, default_city: str = DEFAULT_JURISDICTION) -> dict:
    """Validate a POST requests body with the web form's own schema.

    Returns the dict ``portal.services.submission.submit_appeal`` expects. The point is
    required (the portal does not geocode ``address_string``). The API client accepted the
    portal's terms when it received its key, so ``consent`` is given on the citizen's behalf.
    Raises ValidationError whose keys are Open311 field names.
    """
    if not isinstance(data, Mapping):
        raise ValidationError(str(_l("Send the fields as a form or a JSON object.")))
    renamed = {
        portal: data[open311]
        for open311, portal in POST_FIELDS.items()
        if data.get(open311) not in ("", None)
    }
    renamed.setdefault("city", default_city)
    # NUL cannot be stored in PostgreSQL text: refuse it as an invalid value, field by field.
    nul = {
        key: [str(_l("Enter a valid value."))]
        for key in (*POST_FIELDS, "first_name", "last_name")
        if isinstance(data.get(key), str) and "\x00" in data[key]
    }
    if nul:
        raise ValidationError(nul)
    parts = {key: data.get(key) for key in ("first_name", "last_name")}
    errors = {
        key: [str(_l("At most %(max)s characters.", max=MAX_NAME_PART))]
        for key, value in parts.items()
        if isinstance(value, str) and len(value.strip()) > MAX_NAME_PART
    }
    errors |= {
        key: [str(_l("Enter a valid value."))]
        for key, value in parts.items()
        if value is not None and not isinstance(value, str)
    }
    if errors:
        raise ValidationError(errors)
    name = " ".join(p.strip() for p in parts.values() if isinstance(p, str) and p.strip())
    if name:
        renamed["name"] = name
    renamed["consent"] = True
    try:
        return AppealSubmissionSchema().load(renamed)
    except ValidationError as error:
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        raise ValidationError(
            {_OPEN311_NAME.get(key, key): value for key, value in messages.items()}
        ) from None


def open311_field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Field errors of ``submit_appeal`` (portal names) renamed to Open311 field names."""
    return {_OPEN311_NAME.get(key, key): value for key, value in errors.items()}


def load_media(files) -> list[bytes]:
    """The image of a multipart POST requests (the ``media`` file part) as bytes, checked
    like a web-form photo's upload (size; ``portal.photos`` judges the content when the
    appeal is stored); [] without one. ValidationError keyed ``media``."""
    uploads = files.getlist(MEDIA_FIELD)
    if not uploads:
        return []
    if len(uploads) > 1:
        raise ValidationError({MEDIA_FIELD: [str(_l("Send at most one media file."))]})
    try:
        return [UploadField().deserialize(uploads[0])]
    except ValidationError as error:
        raise ValidationError({MEDIA_FIELD: error.messages}) from None
