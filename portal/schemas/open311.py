"""Input schemas of the Open311 GeoReport v2 API (query strings and POST bodies).

Open311 sends lists as comma-separated values (``service_code=pothole,garbage``) and
dates in W3C format (``2010-01-01T00:00:00Z``). A date-time without an offset, or a plain
date, is read in the portal's time zone (Asia/Bishkek).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    post_load,
    pre_load,
    validate,
    validates_schema,
)
from marshmallow import fields as f

from portal.schemas.appeal import AppealSubmissionSchema
from portal.workdays import BISHKEK

#: Longest period one GET requests call may cover (the specification's 90 days).
MAX_WINDOW = timedelta(days=90)
#: How many ids one ``service_request_id`` list may hold.
MAX_IDS = 100

CODE_RE = r"^[a-z0-9_-]{1,40}$"
PUBLIC_ID_RE = r"^[A-Z]{3}-\d{4}-\d{6}$"
STATUSES = ("open", "closed")


class W3CDateTime(f.Field):
    """A W3C/ISO 8601 date-time (``Z`` or an offset); naive values and dates are local."""

    default_error_messages = {
        "invalid": _l("Use a date-time like 2026-01-31T00:00:00+06:00."),
    }

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str) or not 1 <= len(value) <= 40:
            raise self.make_error("invalid")
        text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
        try:
            if len(text) == 10:
                moment = datetime.combine(date.fromisoformat(text), time.min)
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BISHKEK)
        if not 1900 <= moment.year <= 9998:
            raise self.make_error("invalid")
        return moment


class CommaList(f.Field):
    """``a,b,c`` → ``("a", "b", "c")``, each item checked by ``item_pattern``."""

    default_error_messages = {
        "invalid": _l("Give one or more values separated by commas."),
        "too_many": _l("Give at most %(max)d values."),
    }

    def __init__(self, item_pattern: str, *, max_items: int = MAX_IDS, error=None, **kwargs):
        super().__init__(**kwargs)
        self.item = validate.Regexp(
            item_pattern, error=error or self.default_error_messages["invalid"]
        )
        self.max_items = max_items

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, ...]:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        items = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if not items:
            raise self.make_error("invalid")
        if len(items) > self.max_items:
            raise ValidationError(str(self.error_messages["too_many"]) % {"max": self.max_items})
        for item in items:
            self.item(item)
        return items


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE  # api_key, lang, format… are not filters

    @pre_load
    def drop_empty(self, data, **kwargs):
        """An empty query argument means "not given"."""
        if not isinstance(data, Mapping):
            raise ValidationError(str(_l("Send the fields as a form or a JSON object.")))
        return {key: value for key, value in data.items() if value not in ("", None)}


class JurisdictionArgsSchema(_Base):
    """Arguments of discovery, service list and service definition."""

    jurisdiction_id = f.String(
        validate=validate.Regexp(CODE_RE, error=_l("Unknown jurisdiction_id.")),
        load_default=None,
    )


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

    @property
    def has_dates(self) -> bool:
        return any((self.start_date, self.end_date, self.updated_after, self.updated_before))


class RequestQuerySchema(_Base):
    """GET requests: the specification's arguments plus page/page_size/updated_*/extensions."""

    jurisdiction_id = f.String(
        validate=validate.Regexp(CODE_RE, error=_l("Unknown jurisdiction_id."))
    )
    service_request_id = CommaList(PUBLIC_ID_RE, error=_l("Unknown service_request_id."))
    service_code = CommaList(CODE_RE, error=_l("Unknown service_code."))
    status = CommaList(r"^(open|closed)$", max_items=2, error=_l("status must be open or closed."))
    start_date = W3CDateTime()
    end_date = W3CDateTime()
    updated_after = W3CDateTime()
    updated_before = W3CDateTime()
    page = f.Integer(
        strict=False,
        validate=validate.Range(min=1, max=1_000_000, error=_l("page must be 1 or more.")),
        error_messages={"invalid": _l("page must be a whole number.")},
    )
    page_size = f.Integer(
        strict=False,
        validate=validate.Range(min=1, error=_l("page_size must be 1 or more.")),
        error_messages={"invalid": _l("page_size must be a whole number.")},
    )
    extensions = f.Boolean(
        error_messages={"invalid": _l("extensions must be true or false.")},
    )

    def __init__(self, *, max_page_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_page_size = max_page_size

    @validates_schema
    def check(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        size = data.get("page_size")
        if size is not None and size > self.max_page_size:
            errors["page_size"] = [
                str(_l("page_size must be at most %(max)d.")) % {"max": self.max_page_size}
            ]
        start, end = data.get("start_date"), data.get("end_date")
        if start and end:
            if start > end:
                errors["end_date"] = [str(_l("end_date is before start_date."))]
            elif end - start > MAX_WINDOW:
                errors["end_date"] = [str(_l("start_date and end_date may span at most 90 days."))]
        after, before = data.get("updated_after"), data.get("updated_before")
        if after and before and after > before:
            errors["updated_before"] = [str(_l("updated_before is before updated_after."))]
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data, **kwargs) -> RequestQuery:
        return RequestQuery(**data)


class ExtensionsArgsSchema(_Base):
    """GET requests/<id>: jurisdiction and the extensions switch."""

    jurisdiction_id = f.String(
        validate=validate.Regexp(CODE_RE, error=_l("Unknown jurisdiction_id."))
    )
    extensions = f.Boolean(
        load_default=False,
        error_messages={"invalid": _l("extensions must be true or false.")},
    )


class ApiKeySchema(_Base):
    """The ``api_key`` of POST requests (form field, JSON member or query argument)."""

    api_key = f.String(load_default=None, validate=validate.Length(max=200))


#: Open311 POST fields → fields of the citizen's appeal (AppealSubmissionSchema).
#: ``media_url``, ``address_id``, ``device_id``, ``account_id`` and ``attribute[…]``
#: are accepted and ignored; ``first_name`` and ``last_name`` become ``name``.
POST_FIELDS = {
    "jurisdiction_id": "city",
    "service_code": "category",
    "description": "description",
    "lat": "lat",
    "long": "lon",
    "address_string": "address",
    "email": "email",
    "phone": "phone",
}
_OPEN311_NAME = {portal: open311 for open311, portal in POST_FIELDS.items()} | {
    "name": "first_name",
}


def load_new_request(data, *, default_city: str = "bishkek") -> dict:
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
    parts = [data.get("first_name"), data.get("last_name")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
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
