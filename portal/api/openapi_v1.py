"""OpenAPI operations of ``/api/v1``: the open data API and the citizen API."""

from __future__ import annotations

from marshmallow import fields as mfields

from portal.api.openapi_schemas import (
    DATETIME,
    Context,
    Operation,
    _optional,
    json_content,
    nullable,
    optional_text,
    path_param,
    query,
    ref,
    submission_body,
)
from portal.schemas import open311 as o311
from portal.schemas.fields import DATE_PATTERN
from portal.schemas.map import MAX_PAGE_NUMBER

API_TAG = "Open data API"
CITIZEN_TAG = "Citizen API"
_BOOLEAN_WORDS = sorted({str(v) for v in (*mfields.Boolean.truthy, *mfields.Boolean.falsy)} | {""})


_NUMBER = r"-?[0-9]{1,3}(\.[0-9]{1,8})?"
#: Four decimal numbers; the order and range rules are stated in words (JSON Schema
#: cannot compare two numbers of one string).
BBOX_RE = rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$"


def _api_error(description: str) -> dict:
    return {"description": description, "content": json_content(ref("ApiError"))}


def _field_errors(description: str = "Invalid input, field by field.") -> dict:
    return {"description": description, "content": json_content(ref("FieldErrors"))}


def _filters() -> list[dict]:
    """The shared appeal filters (portal.schemas.filters); an empty value means "any"."""
    from portal.schemas.filters import STATUS_CHOICES

    code = {"type": "string", "pattern": _optional(o311.CODE_RE)}
    date = {"anyOf": [{"type": "string", "format": "date", "pattern": DATE_PATTERN}, {"const": ""}]}
    return [
        query("city", code, "City slug."),
        query("category", code, "Category code."),
        query("service", code, "Service code."),
        query("district", code, "District slug."),
        query("status", {"type": "string", "enum": [*STATUS_CHOICES, ""]}, "Appeal status."),
        query("date_from", date, "Submitted on or after this date (Asia/Bishkek)."),
        query("date_to", date, "Submitted on or before this date (Asia/Bishkek)."),
        query("overdue", {"type": "string", "enum": _BOOLEAN_WORDS}, "Only overdue appeals."),
        query(
            "bbox",
            {"type": "string", "pattern": _optional(BBOX_RE)},
            "min_lon,min_lat,max_lon,max_lat (WGS84 degrees, min < max; longitudes within "
            "±180, latitudes within ±90).",
        ),
    ]


def op_api_index(ctx: Context) -> Operation:
    return {
        "tags": [API_TAG],
        "summary": "Entry point of the API",
        "operationId": "api_index",
        "responses": {
            "200": {
                "description": "Name, version and links.",
                "content": json_content({"type": "object"}),
            }
        },
    }


def op_map(ctx: Context) -> Operation:
    from portal.schemas.map import LAYERS, MAX_ZOOM

    return {
        "tags": [API_TAG],
        "summary": "Map data for a viewport: clusters, appeals or hot spots (GeoJSON)",
        "operationId": "api_map",
        "parameters": [
            query(
                "zoom",
                {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
                "Map zoom level.",
                required=True,
            ),
            query("layer", {"type": "string", "enum": [*LAYERS, ""]}, "appeals or heat."),
            *_filters(),
        ],
        "responses": {
            "200": {
                "description": "A GeoJSON FeatureCollection.",
                "content": {"application/geo+json": {"schema": ref("FeatureCollection")}},
            },
            "400": _field_errors(),
        },
    }


def op_appeals(ctx: Context) -> Operation:
    return {
        "tags": [API_TAG],
        "summary": "Published appeals, newest first, paginated",
        "operationId": "api_appeals",
        "parameters": [
            *_filters(),
            query(
                "page",
                {
                    "anyOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
                        {"const": ""},
                    ]
                },
                "Page number.",
            ),
            query(
                "per_page",
                {
                    "anyOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
                        {"const": ""},
                    ]
                },
                f"Appeals per page (default {ctx.page_size}, at most {ctx.max_page_size}).",
            ),
        ],
        "responses": {
            "200": {
                "description": "One page of appeals with paging links.",
                "content": json_content(
                    {
                        "type": "object",
                        "required": ["total", "page", "per_page", "appeals"],
                        "properties": {
                            "total": {"type": "integer"},
                            "page": {"type": "integer"},
                            "per_page": {"type": "integer"},
                            "pages": {"type": "integer"},
                            "appeals": {"type": "array", "items": ref("Appeal")},
                        },
                    }
                ),
            },
            "400": _field_errors(),
        },
    }


def op_appeal(ctx: Context) -> Operation:
    return {
        "tags": [API_TAG],
        "summary": "One published appeal with its timeline, answers and photos",
        "operationId": "api_appeal",
        "parameters": [path_param("public_id", "Public id, e.g. BSK-2026-000123.")],
        "responses": {
            "200": {
                "description": "The appeal.",
                "content": json_content(
                    {
                        "allOf": [ref("Appeal")],
                        "type": "object",
                        "properties": {
                            "timeline": {"type": "array", "items": {"type": "object"}},
                            "answers": {"type": "array", "items": {"type": "object"}},
                            "photos": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                ),
            },
            "404": _api_error("No published appeal with this id."),
        },
    }


def op_appeal_geojson(ctx: Context) -> Operation:
    return {
        "tags": [API_TAG],
        "summary": "One published appeal as a GeoJSON Feature",
        "operationId": "api_appeal_geojson",
        "parameters": [path_param("public_id", "Public id, e.g. BSK-2026-000123.")],
        "responses": {
            "200": {
                "description": "A GeoJSON Feature (no geometry for sensitive categories).",
                "content": {"application/geo+json": {"schema": ref("Feature")}},
            },
            "404": _api_error("No published appeal with this id."),
        },
    }


def op_submit_appeal(ctx: Context) -> Operation:
    body = submission_body(ctx)
    return {
        "tags": [CITIZEN_TAG],
        "summary": "Submit an appeal (it waits for moderation)",
        "operationId": "api_submit_appeal",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body}},
        },
        "responses": {
            "201": {
                "description": "Stored: public id, deadline and the private tracking link.",
                "content": json_content(
                    {
                        "type": "object",
                        "required": ["public_id", "status", "due_at", "tracking_url"],
                        "properties": {
                            "public_id": {"type": "string"},
                            "status": {"type": "string"},
                            "submitted_at": DATETIME,
                            "due_at": DATETIME,
                            "tracking_url": {"type": "string"},
                            "tracking_token": {"type": "string"},
                        },
                    }
                ),
            },
            "400": _field_errors(),
            "429": _api_error("Too many submissions from this address."),
        },
    }


def _token_errors() -> dict:
    return {
        "404": _field_errors("Unknown link."),
        "409": _field_errors("Already used, or not possible now."),
        "410": _field_errors("Expired link."),
    }


def op_track(ctx: Context) -> Operation:
    return {
        "tags": [CITIZEN_TAG],
        "summary": "The appeal as its citizen sees it (private link)",
        "operationId": "api_track",
        "parameters": [path_param("token", "The private tracking token.")],
        "responses": {
            "200": {"description": "The appeal.", "content": json_content({"type": "object"})},
            **_token_errors(),
        },
    }


def op_rate(ctx: Context) -> Operation:
    from portal.models import RatingReason, Solved
    from portal.schemas.rating import MAX_COMMENT

    body = {
        "type": "object",
        "required": ["score", "solved"],
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "solved": {"type": "string", "enum": [s.value for s in Solved]},
            "reason": nullable({"type": "string", "enum": [r.value for r in RatingReason]}),
            # Stripped, at most MAX_COMMENT characters, no control characters.
            "comment": nullable({"type": "string", "pattern": optional_text(MAX_COMMENT)}),
        },
    }
    return {
        "tags": [CITIZEN_TAG],
        "summary": "Rate the answer the private link allows rating",
        "operationId": "api_rate",
        "parameters": [path_param("token", "The private tracking or rating token.")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "201": {"description": "Rated.", "content": json_content({"type": "object"})},
            "400": _field_errors(),
            **_token_errors(),
        },
    }


def op_reopen(ctx: Context) -> Operation:
    return {
        "tags": [CITIZEN_TAG],
        "summary": "Reopen the appeal after an unsatisfied rating",
        "operationId": "api_reopen",
        "parameters": [path_param("token", "The private tracking token.")],
        "responses": {
            "200": {"description": "Reopened.", "content": json_content({"type": "object"})},
            **_token_errors(),
        },
    }


# --- Staff API (session cookie of a signed-in staff member) --------------------------------

STAFF_TAG = "Staff API"
STAFF_SECURITY = [{"staff_session": []}]
STAFF_ACTIONS = ("acknowledge", "answer", "status", "reroute", "extend")


def _staff_responses(ok: str) -> dict:
    return {
        "200": {"description": ok, "content": json_content({"type": "object"})},
        "400": _field_errors(),
        "401": _api_error("Not signed in as staff."),
        "403": _api_error("Not allowed for this staff member (or CSRF token missing)."),
        "404": _api_error("No such appeal or action."),
        "409": _api_error("The action does not fit the appeal's status."),
    }


def op_staff_inbox(ctx: Context) -> Operation:
    return {
        "tags": [STAFF_TAG],
        "summary": "The signed-in service's inbox (open appeals, deadlines)",
        "operationId": "staff_inbox",
        "security": STAFF_SECURITY,
        "responses": _staff_responses("One page of the inbox."),
    }


def op_staff_appeal(ctx: Context) -> Operation:
    return {
        "tags": [STAFF_TAG],
        "summary": "One appeal as its service sees it (raw text and exact point)",
        "operationId": "staff_appeal",
        "security": STAFF_SECURITY,
        "parameters": [path_param("public_id", "Public id, e.g. BSK-2026-000123.")],
        "responses": _staff_responses("The appeal."),
    }


def op_staff_action(ctx: Context) -> Operation:
    return {
        "tags": [STAFF_TAG],
        "summary": "Act on an appeal: acknowledge, answer, status, reroute, extend",
        "description": "POSTs need the CSRF token in an X-CSRFToken header.",
        "operationId": "staff_action",
        "security": STAFF_SECURITY,
        "parameters": [
            path_param("public_id", "Public id, e.g. BSK-2026-000123."),
            path_param("action", "What to do.", {"type": "string", "enum": list(STAFF_ACTIONS)}),
        ],
        "requestBody": {
            "required": False,
            "content": json_content({"type": "object", "description": "The action's fields."}),
        },
        "responses": _staff_responses("Done: the appeal's new state."),
    }
