"""The public filters shared by the map, the appeal list, the API and every download.

One schema, so that a view shared by URL shows the same appeals on the map, in the list
and in the CSV/GeoJSON files.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, post_load, validate, validates_schema

from opendata.schema import APPEAL_KINDS
from portal.models import PUBLIC_STATUSES
from portal.schemas import fields as f
from portal.schemas import grammar

#: Map marker classes besides the raw statuses.
STATUS_CHOICES = tuple(s.value for s in PUBLIC_STATUSES)
CODE = validate.Regexp(r"^[a-z0-9_-]{1,40}$", error=_l("Unknown code."))
_NUMBER = r"-?[0-9]{1,3}(\.[0-9]{1,8})?"
#: Four decimal numbers; the order and range rules are stated in words (JSON Schema
#: cannot compare two numbers of one string).
BBOX_RE = rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$"
#: The longest text search (``q``), in characters.
MAX_QUERY = 100


@dataclass(frozen=True)
class AppealFilters:
    """Validated filters; None means "any"."""

    city: str | None = None
    category: str | None = None
    service: str | None = None
    status: str | None = None
    district: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    q: str | None = None  # words in the published text of the appeal or its answers
    kind: str | None = None

    def query_args(self) -> dict[str, str]:
        """The filters as URL query arguments (to build twin links and shared views)."""
        args = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value in (None, False):
                continue
            if spec.name == "bbox":
                value = ",".join(f"{v:.6f}" for v in value)
            elif value is True:
                value = "1"
            args[spec.name] = str(value)
        return args


class BBoxField(f.Field):
    """ "min_lon,min_lat,max_lon,max_lat" in WGS84 degrees."""

    grammar = {"type": "string", "pattern": BBOX_RE}

    default_error_messages = {
        "invalid": _l("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat.")
    }

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parts = tuple(float(p) for p in str(value).split(","))
        except ValueError:
            raise self.make_error("invalid") from None
        if len(parts) != 4:
            raise self.make_error("invalid")
        min_lon, min_lat, max_lon, max_lat = parts
        if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
            raise self.make_error("invalid")
        return parts


class SearchText(f.String):
    """Text search ``q``: at most MAX_QUERY characters; runs of spaces count as one space
    and a blank search means "any" (None)."""

    grammar = {"type": "string", "pattern": rf"^[^{grammar.CONTROL}]{{0,{MAX_QUERY}}}$"}
    default_error_messages = {
        "too_long": _l("The search text can be at most %(max)s characters.", max=MAX_QUERY)
    }

    def _deserialize(self, value, attr, data, **kwargs) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_QUERY:
            raise self.make_error("too_long")
        return " ".join(text.split()) or None


def search_field() -> SearchText:
    """The ``q`` argument, the same wherever appeals are listed (list, API, map, Open311)."""
    return SearchText(
        allow_none=False,
        metadata={
            "description": "Full-text search in the published (anonymized) text of the appeal "
            "and of its answers: case-insensitive, every word in any of its forms (Russian, "
            "Kyrgyz, English endings); lists are then ordered by relevance. Blank means any."
        },
    )


class AppealFiltersSchema(Schema):
    """Query-string filters; unknown arguments (page, zoom, lang…) are ignored."""

    class Meta:
        unknown = "exclude"

    city = f.String(validate=CODE, metadata={"description": "City slug."})
    category = f.String(validate=CODE, metadata={"description": "Category code."})
    service = f.String(validate=CODE, metadata={"description": "Service code."})
    status = f.String(
        validate=validate.OneOf(STATUS_CHOICES, error=_l("Unknown status.")),
        metadata={"description": "Appeal status."},
    )
    district = f.String(validate=CODE, metadata={"description": "District slug."})
    date_from = f.Date(
        error_messages={"invalid": _l("Use a date like 2026-01-31.")},
        metadata={"description": "Submitted on or after this date (Asia/Bishkek)."},
    )
    date_to = f.Date(
        error_messages={"invalid": _l("Use a date like 2026-01-31.")},
        metadata={"description": "Submitted on or before this date (Asia/Bishkek)."},
    )
    overdue = f.Boolean(load_default=False, metadata={"description": "Only overdue appeals."})
    bbox = BBoxField(
        metadata={
            "description": "min_lon,min_lat,max_lon,max_lat (WGS84 degrees, min < max; "
            "longitudes within ±180, latitudes within ±90)."
        }
    )

    q = search_field()
    kind = f.String(
        validate=validate.OneOf(APPEAL_KINDS, error=_l("Unknown kind of appeal.")),
        metadata={"description": "Kind of appeal: problem, proposal or question."},
    )

    @validates_schema
    def check_dates(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_l("The start date is after the end date."), "date_to")

    @post_load
    def make_filters(self, data, **kwargs) -> AppealFilters:
        return AppealFilters(**data)


def parse_filters(args) -> AppealFilters:
    """Validate query arguments (empty values mean "any"); raises ValidationError."""
    cleaned = {key: value for key, value in args.items() if value not in ("", None)}
    return AppealFiltersSchema().load(cleaned)


def require_started_window(filters: AppealFilters, today: date) -> None:
    """Figures over a window (the monthly performance dataset) need a window that has begun;
    raises ValidationError."""
    if filters.date_from and filters.date_from > today:
        raise ValidationError({"date_from": [str(_l("The window cannot start in the future."))]})


def require_known_service(filters: AppealFilters, services) -> None:
    """Figures for one service (the monthly performance dataset) need a service that
    exists: an unknown code would give an empty file that looks like "no appeals";
    raises ValidationError."""
    if filters.service and filters.service not in services:
        raise ValidationError({"service": [str(_l("Unknown service."))]})
