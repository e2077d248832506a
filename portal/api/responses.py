"""The shapes of the APIs' answers, as marshmallow schemas, for the OpenAPI document.

The appeal's shape is generated from the public record (``opendata.schema.APPEALS``):
a field added there appears in the document without being written here.
"""

from __future__ import annotations

from collections.abc import Iterable

from marshmallow import INCLUDE, Schema, fields, validate

from opendata.schema import APPEALS
from opendata.tableschema import Field

_FIELD_TYPES = {
    "string": fields.String, "integer": fields.Integer, "number": fields.Float,
    "boolean": fields.Boolean, "datetime": fields.DateTime, "date": fields.Date,
    "yearmonth": fields.String,
}  # fmt: skip


def _published_field(spec: Field) -> fields.Field:
    """A published field as a marshmallow field: type, constraints, description."""
    rules: list = []
    if spec.enum is not None:
        rules.append(validate.OneOf(spec.enum))
    if spec.minimum is not None or spec.maximum is not None:
        rules.append(validate.Range(min=spec.minimum, max=spec.maximum))
    if spec.pattern:
        rules.append(validate.Regexp(spec.pattern))
    return _FIELD_TYPES[spec.type](
        required=spec.required,
        allow_none=not spec.required,
        validate=rules,
        metadata={"description": spec.description},
    )


def record_fields(specs: Iterable[Field], *, names: dict[str, str] | None = None) -> dict:
    """marshmallow fields of published fields (``names``: keys other than their names)."""
    names = names or {}
    return {names.get(spec.name, spec.name): _published_field(spec) for spec in specs}


class Shape(Schema):
    """Base of every shape: documents may gain members (clients ignore unknown ones)."""

    class Meta:
        unknown = INCLUDE


class Links(Shape):
    html = fields.String()
    json = fields.String()
    geojson = fields.String()


def _appeal_fields() -> dict:
    """Every published field of an appeal, whether it is overdue, and its links."""
    return {
        **record_fields(APPEALS.fields),
        "overdue": fields.Boolean(required=True),
        "links": fields.Nested(Links, required=True),
    }


#: One appeal of the open data API.
Appeal = Shape.from_dict(_appeal_fields(), name="Appeal")


class AppealPage(Shape):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer()
    order = fields.String(
        validate=validate.OneOf(["newest", "relevance"]),
        metadata={
            "description": "The appeals' order: newest first, or most relevant first (a "
            "search whose words match at most 10,000 appeals; more common words list "
            "their matches newest first)."
        },
    )
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    licence = fields.String()
    data_as_of = fields.DateTime(allow_none=True)
    links = fields.Dict()
    appeals = fields.List(fields.Nested(Appeal), required=True)


class NearbyLinks(Links):
    support = fields.String(metadata={"description": "POST here (HTML form) to join it."})


NearbyAppeal = Shape.from_dict(
    {
        **_appeal_fields(),
        "distance_m": fields.Integer(required=True),
        "links": fields.Nested(NearbyLinks, required=True),
    },
    name="NearbyAppeal",
)


class NearbyAppeals(Shape):
    radius_m = fields.Integer(required=True)
    window_days = fields.Integer(required=True)
    appeals = fields.List(fields.Nested(NearbyAppeal), required=True)


class TimelineEntry(Shape):
    kind = fields.String(required=True)
    at = fields.DateTime(required=True)
    service = fields.String(allow_none=True)
    to_service = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class Rating(Shape):
    score = fields.Integer(required=True, validate=validate.Range(1, 5))
    solved = fields.String(required=True)
    reason = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class PublishedAnswer(Shape):
    round = fields.Integer(required=True)
    service = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    # None while a moderator checks the text (in_moderation) or after they withheld it.
    text = fields.String(allow_none=True)
    in_moderation = fields.Boolean(required=True)
    rating = fields.Nested(Rating, allow_none=True)


AppealDetail = Shape.from_dict(
    {
        **_appeal_fields(),
        "timeline": fields.List(fields.Nested(TimelineEntry)),
        "answers": fields.List(fields.Nested(PublishedAnswer)),
        "photos": fields.List(fields.String()),
    },
    name="AppealDetail",
)


class Feature(Shape):
    type = fields.Constant("Feature", required=True)
    id = fields.String()
    geometry = fields.Dict(allow_none=True)
    properties = fields.Dict(required=True)


class FeatureCollection(Shape):
    type = fields.Constant("FeatureCollection", required=True)
    features = fields.List(fields.Nested(Feature), required=True)
    meta = fields.Dict()


class ErrorBody(Shape):
    code = fields.Integer(required=True)
    message = fields.String(required=True)


class ApiError(Shape):
    """An error: its HTTP status and a translated message."""

    error = fields.Nested(ErrorBody, required=True)


class FieldErrors(Shape):
    """Invalid input: translated messages, field by field."""

    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class StaffError(ApiError):
    """The staff area's refusals: the error, and field errors when input was refused."""

    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class Submitted(Shape):
    public_id = fields.String(required=True)
    status = fields.String(required=True)
    submitted_at = fields.DateTime()
    due_at = fields.DateTime(required=True)
    tracking_url = fields.String(required=True)
    tracking_token = fields.String()


class ApiIndex(Shape):
    name = fields.String()
    version = fields.String()
    health = fields.String()


# --- Staff API -------------------------------------------------------------------------------


class AppealState(Shape):
    """An appeal as its service sees it after an action (or only its id, once rerouted)."""

    public_id = fields.String(required=True)
    status = fields.String()
    resolution = fields.String(allow_none=True)
    service = fields.String()
    due_at = fields.DateTime()
    deadline_extended = fields.Boolean()
    reroute_count = fields.Integer()


class ActionDone(Shape):
    """The result of a staff action: the appeal's state, or the decision on a held text
    or a video."""

    appeal = fields.Nested(AppealState)
    text = fields.Dict()
    video = fields.Dict()


class InboxItem(Shape):
    public_id = fields.String(required=True)
    category = fields.String()
    district = fields.String(allow_none=True)
    status = fields.String()
    submitted_at = fields.DateTime()
    due_at = fields.DateTime()
    workdays_left = fields.Integer()
    overdue = fields.Boolean()
    supporters = fields.Integer()


class Inbox(Shape):
    total = fields.Integer(required=True)
    overdue = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()
    items = fields.List(fields.Nested(InboxItem), required=True)


class WebhookDeliveryShape(Shape):
    """One webhook delivery and its latest attempt."""

    id = fields.Integer(required=True)
    event = fields.String(required=True)
    public_id = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": ["pending", "delivered", "failed"]})
    attempts = fields.Integer(required=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)


class ApiClientShape(Shape):
    """The client holding the key: its channel, limit, webhook and latest deliveries."""

    name = fields.String(required=True)
    code = fields.String(required=True)
    channel = fields.String(required=True)
    rate_limit = fields.String(required=True)
    webhook_url = fields.String(allow_none=True)
    deliveries = fields.List(fields.Nested(WebhookDeliveryShape), required=True)


class WebhookRegistered(Shape):
    """A registered webhook and its signing secret (shown in this answer only)."""

    webhook_url = fields.String(required=True)
    secret = fields.String(required=True)
    signature_header = fields.String(required=True)
    replay_window_seconds = fields.Integer(required=True)
    retry_delays_seconds = fields.List(fields.Integer(), required=True)
