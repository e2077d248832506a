"""Query string of the duplicate suggestions (GET /api/v1/appeals/nearby)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, post_load, validate

from portal.schemas import fields as f
from portal.schemas.filters import CODE


@dataclass(frozen=True)
class NearbyQuery:
    city: str
    category: str
    lat: float
    lon: float


def _coordinate(low: float, high: float, name: str, description: str) -> f.Float:
    message = _l(
        "%(name)s must be a number from %(low)s to %(high)s.", name=name, low=low, high=high
    )
    return f.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(low, high, error=message),
        error_messages={"required": _l("This parameter is required."), "invalid": message},
        metadata={"description": description},
    )


class NearbyQuerySchema(Schema):
    """Every parameter is required; anything else is refused (strict_query)."""

    class Meta:
        unknown = "exclude"

    city = f.String(
        required=True, validate=CODE, metadata={"description": "City slug."},
        error_messages={"required": _l("This parameter is required.")},
    )  # fmt: skip
    category = f.String(
        required=True, validate=CODE, metadata={"description": "Category code."},
        error_messages={"required": _l("This parameter is required.")},
    )  # fmt: skip
    lat = _coordinate(-90, 90, "lat", "Latitude (WGS 84) of the point chosen on the form.")
    lon = _coordinate(-180, 180, "lon", "Longitude (WGS 84) of the point chosen on the form.")

    @post_load
    def make(self, data, **kwargs) -> NearbyQuery:
        return NearbyQuery(**data)
