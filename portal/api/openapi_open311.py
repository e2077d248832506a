"""OpenAPI operations of the Open311 GeoReport v2 API (``/open311/v2/…``, JSON and XML)."""

from __future__ import annotations

from portal.api.openapi_schemas import (
    Builder,
    Context,
    Operation,
    json_content,
    path_param,
    query,
    ref,
    submission_body,
)
from portal.schemas import open311 as o311

# --- Open311 operations ---------------------------------------------------------------------

O311_TAG = "Open311 GeoReport v2"
XML = {"text/xml": {"schema": {"type": "string"}}}


def o311_responses(fmt: str, ok: dict, *codes: int, ok_status: str = "200") -> dict:
    """Responses of an Open311 operation: ``ok`` (JSON schema) and error lists."""
    error = ref("Open311Errors")
    messages = {
        400: "Invalid arguments.",
        403: "api_key missing or not valid.",
        404: "Not found (jurisdiction, service, request or token).",
        405: "Method not allowed.",
    }

    def content(schema: dict) -> dict:
        return json_content(schema) if fmt == "json" else XML

    responses = {ok_status: {"description": "Success.", "content": content(ok)}}
    for code in codes:
        responses[str(code)] = {"description": messages[code], "content": content(error)}
    return responses


def _jurisdiction() -> dict:
    return query(
        "jurisdiction_id",
        {"type": "string", "pattern": o311.CODE_RE},
        "City slug (bishkek, osh); bishkek when omitted. Unknown cities are 404.",
    )


def _extensions() -> dict:
    return query(
        "extensions",
        {"type": "boolean"},
        "true: add notes (the public timeline) and extended_attributes (portal status, "
        "answers and ratings).",
    )


def op_discovery(fmt: str) -> Builder:
    def build(ctx: Context) -> Operation:
        return {
            "tags": [O311_TAG],
            "summary": f"Service discovery ({fmt.upper()})",
            "operationId": f"open311_discovery_{fmt}",
            "responses": o311_responses(fmt, ref("Open311Discovery")),
        }

    return build


def op_services(fmt: str) -> Builder:
    def build(ctx: Context) -> Operation:
        return {
            "tags": [O311_TAG],
            "summary": f"Service list: the categories of a city ({fmt.upper()})",
            "operationId": f"open311_services_{fmt}",
            "parameters": [_jurisdiction()],
            "responses": o311_responses(
                fmt, {"type": "array", "items": ref("Open311Service")}, 400, 404
            ),
        }

    return build


def op_service_definition(fmt: str) -> Builder:
    def build(ctx: Context) -> Operation:
        return {
            "tags": [O311_TAG],
            "summary": f"Service definition ({fmt.upper()}); no extra attributes",
            "operationId": f"open311_service_definition_{fmt}",
            "parameters": [
                path_param("service_code", "Category code, e.g. pothole."),
                _jurisdiction(),
            ],
            "responses": o311_responses(fmt, ref("Open311ServiceDefinition"), 400, 404),
        }

    return build


def op_requests(fmt: str) -> Builder:
    def build(ctx: Context) -> Operation:
        dt = {"type": "string", "format": "date-time"}
        return {
            "tags": [O311_TAG],
            "summary": f"Published appeals as service requests ({fmt.upper()})",
            "description": (
                "Newest first. Without any date argument: the last 90 days of "
                "requested_datetime. service_request_id overrides every other filter. "
                "Status: closed = closed appeal, open = any other public status."
            ),
            "operationId": f"open311_requests_{fmt}",
            "parameters": [
                _jurisdiction(),
                query(
                    "service_request_id",
                    {"type": "string", "pattern": o311.ID_LIST_RE},
                    "Up to 100 comma-separated ids (BSK-2026-000123); overrides the rest.",
                ),
                query(
                    "service_code",
                    {"type": "string", "pattern": o311.CODE_LIST_RE},
                    "Comma-separated category codes; unknown codes are 404.",
                ),
                query("start_date", dt, "requested_datetime ≥ this (RFC 3339)."),
                query("end_date", dt, "requested_datetime ≤ this (RFC 3339)."),
                query(
                    "status",
                    {"type": "string", "pattern": o311.STATUS_LIST_RE},
                    "open, closed or open,closed.",
                ),
                query("updated_after", dt, "Extension: updated_datetime ≥ this."),
                query("updated_before", dt, "Extension: updated_datetime ≤ this."),
                query(
                    "page",
                    {"type": "integer", "minimum": 1, "maximum": o311.MAX_PAGE},
                    "Extension: page number, from 1.",
                ),
                query(
                    "page_size",
                    {"type": "integer", "minimum": 1, "maximum": ctx.max_page_size},
                    f"Extension: requests per page (default {ctx.page_size}).",
                ),
                _extensions(),
            ],
            "responses": o311_responses(
                fmt, {"type": "array", "items": ref("Open311Request")}, 400, 404
            ),
        }

    return build


def op_request(fmt: str) -> Builder:
    def build(ctx: Context) -> Operation:
        return {
            "tags": [O311_TAG],
            "summary": f"One published appeal, as a list of one ({fmt.upper()})",
            "operationId": f"open311_request_{fmt}",
            "parameters": [
                path_param("service_request_id", "Public id, e.g. BSK-2026-000123."),
                _jurisdiction(),
                _extensions(),
            ],
            "responses": o311_responses(
                fmt,
                {"type": "array", "minItems": 1, "maxItems": 1, "items": ref("Open311Request")},
                400,
                404,
            ),
        }

    return build


def op_create_request(fmt: str) -> Builder:
    def build(ctx: Context) -> Operation:
        body = submission_body(ctx, open311=True)
        form = submission_body(ctx, open311=True, form=True)
        return {
            "tags": [O311_TAG],
            "summary": f"Submit an appeal ({fmt.upper()} answer); needs an api_key",
            "description": (
                "Creates an appeal through the same use case as the web form. api_key goes "
                "in the query string or, as the specification has it, in the body. It waits "
                "for moderation: the answer carries a token; GET tokens/{token} gives the "
                "service_request_id once the appeal is published. The point is required "
                "(addresses are not geocoded) and must lie inside the city."
            ),
            "operationId": f"open311_create_request_{fmt}",
            "security": [{"open311_api_key": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": form},
                    "application/json": {"schema": body},
                },
            },
            "responses": o311_responses(
                fmt,
                {"type": "array", "minItems": 1, "items": ref("Open311NewRequest")},
                400,
                403,
                404,
                ok_status="201",
            ),
        }

    return build


def op_token(fmt: str) -> Builder:
    def build(ctx: Context) -> Operation:
        return {
            "tags": [O311_TAG],
            "summary": f"The service_request_id behind a token ({fmt.upper()})",
            "operationId": f"open311_token_{fmt}",
            "parameters": [path_param("token", "The token returned by POST requests.")],
            "responses": o311_responses(fmt, {"type": "array", "items": ref("Open311Token")}, 404),
        }

    return build
