"""The subscription form's input (the HTML form; the same schema would serve an API)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, pre_load, validate, validates_schema

from portal.alerts.area import MAX_AREA_DEGREES, parse_area
from portal.alerts.models import AlertFrequency, AlertScope
from portal.schemas import fields as f
from portal.schemas.appeal import ERRORS

CODE = validate.Regexp(r"^[a-z0-9_-]{1,40}$", error=_l("Choose a value from the list."))
PUBLIC_ID = validate.Regexp(
    r"^[A-Z]{3}-\d{4}-\d{6}$", error=_l("Enter an appeal number like BSK-2026-000123.")
)
#: Which fields each scope needs (an area: the drawn polygon, or else the typed box).
NEEDS = {
    AlertScope.APPEAL: ("appeal",),
    AlertScope.DISTRICT: ("city", "district"),
    AlertScope.CATEGORY: ("city", "category"),
    AlertScope.SERVICE: ("service",),
    AlertScope.AREA: ("bbox",),
}


def _text(**kwargs) -> f.String:
    return f.String(error_messages=ERRORS, load_default=None, allow_none=True, **kwargs)


def _choice(values, message) -> validate.OneOf:
    return validate.OneOf([v.value for v in values], error=message)


class SubscriptionSchema(Schema):
    """E-mail, what to follow and how often; ``load`` returns a dict for ``subscribe``."""

    class Meta:
        unknown = EXCLUDE  # csrf_token, the button, lang

    email = f.String(
        required=True, error_messages=ERRORS,
        validate=[validate.Length(max=200, error=_l("At most %(max)s characters.", max=200)),
                  validate.Email(error=_l("Enter a valid e-mail address."))],
    )  # fmt: skip
    scope = f.String(
        required=True, error_messages=ERRORS,
        validate=_choice(AlertScope, _l("Choose what to follow.")),
    )  # fmt: skip
    frequency = f.String(
        load_default=AlertFrequency.IMMEDIATE.value, error_messages=ERRORS,
        validate=_choice(AlertFrequency, _l("Choose how often to receive alerts.")),
    )  # fmt: skip
    appeal = _text(validate=PUBLIC_ID)
    city = _text(validate=CODE)
    district = _text(validate=CODE)
    category = _text(validate=CODE)
    service = _text(validate=CODE)
    bbox = _text()
    area = _text()  # a GeoJSON Polygon: the map's drawing (portal.alerts.area)

    @pre_load
    def blank_is_none(self, data, **kwargs):
        """An empty form field means "not given"; addresses compare in lower case."""
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in dict(data).items()}
        data = {k: (None if v == "" else v) for k, v in data.items()}
        if data.get("email"):
            data["email"] = data["email"].lower()
        if data.get("appeal"):
            data["appeal"] = data["appeal"].upper()
        return data

    @validates_schema
    def scope_fields(self, data, **kwargs):
        """The fields the chosen scope needs are present; an area is a sane polygon or box."""
        scope = AlertScope(data["scope"])
        if scope is AlertScope.AREA and data.get("area"):
            data["area"] = parse_area(data["area"])  # drawn: it wins over a typed box
            return
        missing = {name: [str(ERRORS["required"])] for name in NEEDS[scope] if not data.get(name)}
        if missing:
            raise ValidationError(missing)
        if scope is AlertScope.AREA:
            data["bbox"] = parse_bbox(data["bbox"])


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """ "min_lon,min_lat,max_lon,max_lat" (as the map API reads it) → the four numbers."""
    message = _l("Enter the area as four numbers: west, south, east, north.")
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise ValidationError({"bbox": [str(message)]}) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationError({"bbox": [str(message)]})
    if east - west > MAX_AREA_DEGREES or north - south > MAX_AREA_DEGREES:
        raise ValidationError({"bbox": [str(_l("The area is too large; draw a smaller one."))]})
    return west, south, east, north
