"""The Open311 API in the OpenAPI document: its answers' shapes (portal.open311.serializers)
and the helpers its routes declare their operations with.

``extended_attributes`` is generated from the public record, as the serializer does: every
published field that the specification's own members do not carry, under its Open311 name.
"""

from __future__ import annotations

from marshmallow import fields, validate

from opendata.schema import APPEALS
from portal.api.openapi import O311_TAG, documented, place_constraints, without_nulls
from portal.api.responses import Rating, Shape, record_fields
from portal.open311.serializers import CORE_FIELDS
from portal.schemas.open311 import DEFAULT_JURISDICTION, PUBLIC_ID_RE, documented_request_body


class Open311Error(Shape):
    code = fields.Integer(required=True)
    description = fields.String(required=True)


class Open311Endpoint(Shape):
    specification = fields.String(required=True)
    url = fields.String(required=True)
    changeset = fields.String()
    type = fields.String(required=True)
    formats = fields.List(fields.String(), required=True)


class Open311Discovery(Shape):
    changeset = fields.String(required=True)
    contact = fields.String(required=True)
    key_service = fields.String()
    endpoints = fields.List(fields.Nested(Open311Endpoint), required=True)


class Open311Service(Shape):
    service_code = fields.String(required=True)
    service_name = fields.String(required=True)
    description = fields.String(allow_none=True)
    metadata = fields.Boolean(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("realtime", "batch", "blackbox")))
    keywords = fields.String(allow_none=True)
    group = fields.String(allow_none=True)


class Open311ServiceDefinition(Shape):
    service_code = fields.String(required=True)
    attributes = fields.List(fields.Dict(), required=True)


class Open311Answer(Shape):
    answer_id = fields.String(required=True)
    round = fields.Integer(required=True)
    datetime = fields.DateTime(required=True)
    service = fields.String()
    text = fields.String(allow_none=True)
    rating = fields.Nested(Rating, allow_none=True)


#: extensions=true: every other published field (Open311 names), then the answers.
Open311Extended = Shape.from_dict(
    {
        **record_fields(
            (spec for spec in APPEALS.fields if spec.name not in CORE_FIELDS),
            names={spec.name: spec.open311 for spec in APPEALS.fields if spec.open311},
        ),
        "answers": fields.List(fields.Nested(Open311Answer)),
    },
    name="Open311Extended",
)


class Open311Note(Shape):
    type = fields.String(required=True)
    datetime = fields.DateTime(required=True)
    summary = fields.String(required=True)
    description = fields.String(allow_none=True)
    service = fields.String(allow_none=True)
    to_service = fields.String(allow_none=True)


def _optional(**kwargs) -> fields.String:
    return fields.String(allow_none=True, **kwargs)


class Open311Request(Shape):
    service_request_id = fields.String(required=True, validate=validate.Regexp(PUBLIC_ID_RE))
    status = fields.String(required=True, validate=validate.OneOf(("open", "closed")))
    status_notes = _optional()
    service_name = _optional()
    service_code = fields.String(required=True)
    description = _optional()
    agency_responsible = _optional()
    service_notice = _optional()
    requested_datetime = fields.DateTime(required=True)
    updated_datetime = fields.DateTime(allow_none=True)
    expected_datetime = fields.DateTime(allow_none=True)
    address = _optional()
    address_id = _optional()
    zipcode = _optional()
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    media_url = _optional(metadata={"format": "uri"})
    notes = fields.List(
        fields.Nested(Open311Note), metadata={"description": "extensions=true: the timeline."}
    )
    extended_attributes = fields.Nested(Open311Extended)


class Open311NewRequest(Shape):
    token = fields.String(required=True)
    service_request_id = _optional()
    service_notice = _optional()
    account_id = _optional()


class Open311Token(Shape):
    token = fields.String(required=True)
    service_request_id = _optional()


# --- Declaring the Open311 operations (portal.open311.views) ----------------------------------

#: A list of service requests.
REQUESTS = ("Success.", Open311Request(many=True))
_ERRORS = {
    400: "Invalid arguments.",
    403: "api_key missing, not valid or revoked.",
    404: "Not found (jurisdiction, service, request or token).",
    429: "Too many requests with this api_key (its client's rate limit).",
}


def operation(summary: str, ok: tuple[str, object], *errors: int, status: int = 200, **declared):
    """``@documented`` for an Open311 route: its success and the specification's errors."""
    answers = {code: (_ERRORS[code], Open311Error(many=True)) for code in errors}
    return documented(summary=summary, tag=O311_TAG, responses={status: ok, **answers}, **declared)


def post_body(ctx, converter) -> dict:
    """The appeal form's fields under their Open311 names (JSON may send null, forms not)."""
    names = {"city": "jurisdiction_id", "category": "service_code", "lat": "lat", "lon": "long"}

    def body(nullable: bool) -> dict:
        schema = converter.schema2jsonschema(documented_request_body())
        return place_constraints(
            schema, ctx, names, default_city=DEFAULT_JURISDICTION, nullable=nullable
        )

    return {
        "application/x-www-form-urlencoded": {"schema": without_nulls(body(False))},
        "application/json": {"schema": body(True)},
    }
