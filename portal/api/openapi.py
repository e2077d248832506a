"""The OpenAPI 3.1 document of ``/api/v1`` and ``/open311/v2``, served at /api/openapi.json.

The document is built from the routes that exist in ``app.url_map``: an operation is
described only when its route exists, and a route under a documented prefix that has no
description here is listed by :func:`undocumented_routes` (a test fails on it, so every
new route must be documented in ``OPERATIONS``).

Query parameters are described exactly as the views parse them, so that a generated
request valid for this document is accepted and an invalid one refused (schemathesis
checks both ways in tests/portal/test_schemathesis.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, jsonify
from marshmallow import fields as mfields
from sqlalchemy.exc import SQLAlchemyError

from portal.api import bp
from portal.schemas import open311 as o311

OPENAPI_VERSION = "3.1.0"
DOCUMENTED_PREFIXES = ("/api/v1", "/open311/v2")
IGNORED_METHODS = {"HEAD", "OPTIONS"}

Operation = dict[str, Any]
Builder = Callable[["Context"], Operation]

# --- Small helpers ------------------------------------------------------------------------


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def query(name: str, schema: dict, description: str, *, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def path_param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _optional(pattern: str) -> str:
    """``^x$`` → ``^(x)?$``: the empty value is accepted too (it means "any")."""
    return f"^({pattern.removeprefix('^').removesuffix('$')})?$"


class Context:
    """What the document depends on: page sizes from the settings, cities and categories
    from the reference data (when the database can be read)."""

    def __init__(self, app: Flask) -> None:
        self.max_page_size = int(app.config["MAX_PAGE_SIZE"])
        self.page_size = int(app.config["PAGE_SIZE"])
        self.languages = tuple(app.config["LANGUAGES"])
        self.cities: dict[str, list[float]] = {}  # slug → [min_lon, min_lat, max_lon, max_lat]
        self.categories: list[str] = []
        try:
            from portal.queries.reference import load_reference

            with app.app_context():
                reference = load_reference()
        except SQLAlchemyError:  # no database yet: describe codes by their pattern
            return
        self.cities = {
            slug: list((city.extra or {})["bbox"]) for slug, city in reference.cities.items()
        }
        self.categories = sorted({code for _city, code in reference.categories})


# --- Component schemas ---------------------------------------------------------------------

DATETIME = {"type": "string", "format": "date-time"}
OPT_DATETIME = nullable(DATETIME)
OPT_STRING = nullable({"type": "string"})


def _appeal_schema() -> dict:
    """An appeal of the public API: the published fields (opendata.schema) plus links."""
    from opendata.schema import APPEALS

    types = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
    properties: dict[str, Any] = {}
    for spec in APPEALS.fields:
        schema: dict[str, Any] = (
            dict(DATETIME) if spec.type == "datetime" else {"type": types.get(spec.type, "string")}
        )
        if spec.enum is not None:
            schema["enum"] = list(spec.enum)
        schema["description"] = spec.description
        properties[spec.name] = schema if spec.required else nullable(schema)
    properties["overdue"] = {"type": "boolean"}
    properties["links"] = {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("html", "json", "geojson")},
    }
    return {"type": "object", "properties": properties, "required": ["id", "status", "links"]}


def components() -> dict:
    o311_request_properties = {
        "service_request_id": {"type": "string", "pattern": o311.PUBLIC_ID_RE},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": OPT_STRING,
        "service_name": OPT_STRING,
        "service_code": {"type": "string"},
        "description": OPT_STRING,
        "agency_responsible": OPT_STRING,
        "service_notice": OPT_STRING,
        "requested_datetime": DATETIME,
        "updated_datetime": OPT_DATETIME,
        "expected_datetime": OPT_DATETIME,
        "address": OPT_STRING,
        "address_id": OPT_STRING,
        "zipcode": OPT_STRING,
        "lat": nullable({"type": "number"}),
        "long": nullable({"type": "number"}),
        "media_url": nullable({"type": "string", "format": "uri"}),
        "notes": {
            "type": "array",
            "description": "extensions=true: the public timeline.",
            "items": {
                "type": "object",
                "required": ["type", "datetime", "summary"],
                "properties": {
                    "type": {"type": "string"},
                    "datetime": DATETIME,
                    "summary": {"type": "string"},
                    "description": OPT_STRING,
                    "service": OPT_STRING,
                    "to_service": OPT_STRING,
                },
            },
        },
        "extended_attributes": {
            "type": "object",
            "description": "extensions=true: the portal's own status, answers and ratings.",
            "properties": {
                "portal_status": {"type": "string"},
                "answers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["answer_id", "round", "datetime", "text"],
                        "properties": {
                            "answer_id": {"type": "string"},
                            "round": {"type": "integer"},
                            "datetime": DATETIME,
                            "service": {"type": "string"},
                            "text": {"type": "string"},
                            "rating": nullable(
                                {
                                    "type": "object",
                                    "required": ["score", "solved"],
                                    "properties": {
                                        "score": {"type": "integer", "minimum": 1, "maximum": 5},
                                        "solved": {"type": "string"},
                                        "reason": OPT_STRING,
                                        "comment": OPT_STRING,
                                    },
                                }
                            ),
                        },
                    },
                },
            },
        },
    }
    return {
        "Open311Errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "description"],
                "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
            },
        },
        "Open311Discovery": {
            "type": "object",
            "required": ["changeset", "contact", "endpoints"],
            "properties": {
                "changeset": {"type": "string"},
                "contact": {"type": "string"},
                "key_service": {"type": "string"},
                "endpoints": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["specification", "url", "type", "formats"],
                        "properties": {
                            "specification": {"type": "string"},
                            "url": {"type": "string"},
                            "changeset": {"type": "string"},
                            "type": {"type": "string"},
                            "formats": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "Open311Service": {
            "type": "object",
            "required": ["service_code", "service_name", "metadata", "type"],
            "properties": {
                "service_code": {"type": "string"},
                "service_name": {"type": "string"},
                "description": OPT_STRING,
                "metadata": {"type": "boolean"},
                "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                "keywords": OPT_STRING,
                "group": OPT_STRING,
            },
        },
        "Open311ServiceDefinition": {
            "type": "object",
            "required": ["service_code", "attributes"],
            "properties": {
                "service_code": {"type": "string"},
                "attributes": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Open311Request": {
            "type": "object",
            "required": ["service_request_id", "status", "service_code", "requested_datetime"],
            "properties": o311_request_properties,
        },
        "Open311NewRequest": {
            "type": "object",
            "required": ["token"],
            "properties": {
                "token": {"type": "string"},
                "service_request_id": OPT_STRING,
                "service_notice": OPT_STRING,
                "account_id": OPT_STRING,
            },
        },
        "Open311Token": {
            "type": "object",
            "required": ["token", "service_request_id"],
            "properties": {"token": {"type": "string"}, "service_request_id": OPT_STRING},
        },
        "ApiError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
                }
            },
        },
        "FieldErrors": {
            "type": "object",
            "required": ["errors"],
            "properties": {
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                }
            },
        },
        "Appeal": _appeal_schema(),
        "FeatureCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": ref("Feature")},
                "meta": {"type": "object"},
            },
        },
        "Feature": {
            "type": "object",
            "required": ["type", "properties"],
            "properties": {
                "type": {"const": "Feature"},
                "geometry": nullable({"type": "object"}),
                "properties": {"type": "object"},
            },
        },
    }


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


# --- /api/v1 operations -----------------------------------------------------------------

#: Python's whitespace (what str.strip removes), as a regex class both dialects read.
_WS = r"[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_NOT_WS = _WS.replace("[", "[^\\x00", 1)  # … and not NUL, which no text may contain
_ANY = r"[^\x00]"


def stripped_text(minimum: int, maximum: int) -> str:
    """After stripping whitespace, between ``minimum`` (≥ 2) and ``maximum`` characters."""
    return rf"^{_WS}*{_NOT_WS}{_ANY}{{{minimum - 2},{maximum - 2}}}{_NOT_WS}{_WS}*$"


def optional_text(maximum: int) -> str:
    """Empty or blank (= not given), or at most ``maximum`` characters once stripped."""
    return rf"^{_WS}*({_NOT_WS}({_ANY}{{0,{maximum - 2}}}{_NOT_WS})?)?{_WS}*$"


#: portal.schemas.appeal.PHONE_RE after stripping; blank means "not given".
PHONE = rf"^{_WS}*(\+[0-9 ()\-]{{5,29}}[0-9()\-]|[0-9()\-][0-9 ()\-]{{4,28}}[0-9()\-])?{_WS}*$"


def submission_body(ctx: Context, *, open311: bool = False, form: bool = False) -> dict:
    """The appeal form's fields (portal.schemas.appeal), with each city's extent.

    ``form``: an urlencoded body, which has no null (JSON bodies may send null = absent).
    """
    lat, lon = ("lat", "long") if open311 else ("lat", "lon")
    city, category = ("jurisdiction_id", "service_code") if open311 else ("city", "category")
    code = {"type": "string", "pattern": o311.CODE_RE}
    properties: dict[str, Any] = {
        city: {"type": "string", "enum": sorted(ctx.cities)} if ctx.cities else code,
        category: {"type": "string", "enum": ctx.categories} if ctx.categories else code,
        "description": {"type": "string", "pattern": stripped_text(10, 5000)},
        lat: {"type": "number", "minimum": -90, "maximum": 90},
        lon: {"type": "number", "minimum": -180, "maximum": 180},
        "email": {
            "anyOf": [
                {"type": "string", "format": "email", "maxLength": 200},
                {"type": "string", "pattern": rf"^{_WS}*$"},
            ]
        },
        "phone": {"type": "string", "pattern": PHONE},
    }
    if open311:
        properties.update(
            {
                "address_string": {"type": "string", "pattern": optional_text(300)},
                "first_name": {"type": "string", "pattern": optional_text(o311.MAX_NAME_PART)},
                "last_name": {"type": "string", "pattern": optional_text(o311.MAX_NAME_PART)},
            }
        )
        if not form:
            for name in set(properties) - {category, "description", lat, lon}:
                properties[name] = nullable(properties[name])  # null = not given
        # Photos are not fetched from URLs: any value is accepted and ignored.
        properties["media_url"] = {"description": "Accepted and ignored."}
    else:
        properties.update(
            {
                "address": {"type": "string", "pattern": optional_text(300)},
                "name": {"type": "string", "pattern": optional_text(200)},
                "consent": {"const": True},
            }
        )
        for name in ("address", "name", "email", "phone"):  # null = not given
            properties[name] = nullable(properties[name])
    required = [category, "description", lat, lon] + ([] if open311 else [city, "consent"])
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": properties}
    if ctx.cities:
        # The point must lie inside the chosen city (bishkek when omitted in Open311).
        schema["oneOf"] = [
            {
                "properties": {
                    city: (
                        nullable({"const": slug})
                        if open311 and not form and slug == o311.DEFAULT_JURISDICTION
                        else {"const": slug}
                    ),
                    lat: {"minimum": box[1], "maximum": box[3]},
                    lon: {"minimum": box[0], "maximum": box[2]},
                },
                **(
                    {"required": [city]} if not open311 or slug != o311.DEFAULT_JURISDICTION else {}
                ),
            }
            for slug, box in sorted(ctx.cities.items())
        ]
    return schema


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
    date = {"anyOf": [{"type": "string", "format": "date"}, {"const": ""}]}
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
                {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 1_000_000}, {"const": ""}]},
                "Page number.",
            ),
            query(
                "per_page",
                {"anyOf": [{"type": "integer", "minimum": 1}, {"const": ""}]},
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

    body = {
        "type": "object",
        "required": ["score", "solved"],
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "solved": {"type": "string", "enum": [s.value for s in Solved]},
            "reason": nullable({"type": "string", "enum": [r.value for r in RatingReason]}),
            "comment": nullable({"type": "string", "maxLength": 2000}),
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


# --- The registry ---------------------------------------------------------------------------

#: (method, OpenAPI path) → builder of the operation object.
OPERATIONS: dict[tuple[str, str], Builder] = {
    ("get", "/api/v1/"): op_api_index,
    ("get", "/api/v1/map"): op_map,
    ("get", "/api/v1/appeals"): op_appeals,
    ("post", "/api/v1/appeals"): op_submit_appeal,
    ("get", "/api/v1/appeals/{public_id}"): op_appeal,
    ("get", "/api/v1/appeals/{public_id}.geojson"): op_appeal_geojson,
    ("get", "/api/v1/track/{token}"): op_track,
    ("post", "/api/v1/track/{token}/rating"): op_rate,
    ("post", "/api/v1/track/{token}/reopen"): op_reopen,
}
for _fmt in ("json", "xml"):
    OPERATIONS.update(
        {
            ("get", f"/open311/v2/discovery.{_fmt}"): op_discovery(_fmt),
            ("get", f"/open311/v2/services.{_fmt}"): op_services(_fmt),
            ("get", f"/open311/v2/services/{{service_code}}.{_fmt}"): op_service_definition(_fmt),
            ("get", f"/open311/v2/requests.{_fmt}"): op_requests(_fmt),
            ("post", f"/open311/v2/requests.{_fmt}"): op_create_request(_fmt),
            ("get", f"/open311/v2/requests/{{service_request_id}}.{_fmt}"): op_request(_fmt),
            ("get", f"/open311/v2/tokens/{{token}}.{_fmt}"): op_token(_fmt),
        }
    )


# --- Routes → OpenAPI paths -----------------------------------------------------------------

_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def openapi_paths(rule: str) -> list[str]:
    """``/x/<id>.<any(json, xml):fmt>`` → ``["/x/{id}.json", "/x/{id}.xml"]``."""
    match = next((m for m in _VARIABLE.finditer(rule) if m["converter"] == "any"), None)
    if match is not None:
        options = [o.strip().strip("'\"") for o in match["args"].split(",")]
        return [
            path
            for option in options
            for path in openapi_paths(rule[: match.start()] + option + rule[match.end() :])
        ]
    return [_VARIABLE.sub(lambda m: "{" + m["name"] + "}", rule)]


def documented_routes(app: Flask) -> Iterator[tuple[str, str]]:
    """Every (method, OpenAPI path) of the app under a documented prefix."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(DOCUMENTED_PREFIXES):
            continue
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            for path in openapi_paths(rule.rule):
                yield method.lower(), path


def undocumented_routes(app: Flask) -> list[str]:
    """Routes that exist but have no description in OPERATIONS (must stay empty)."""
    return sorted(
        f"{method.upper()} {path}"
        for method, path in documented_routes(app)
        if (method, path) not in OPERATIONS
    )


def build_openapi(app: Flask) -> dict:
    """The OpenAPI 3.1 document of the routes that exist in ``app``."""
    ctx = Context(app)
    paths: dict[str, dict] = {}
    for method, path in documented_routes(app):
        builder = OPERATIONS.get((method, path))
        if builder is not None:
            paths.setdefault(path, {})[method] = builder(ctx)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Ачык Шаар (Open City) API",
            "version": "1",
            "description": (
                "Published appeals of Bishkek and Osh to their city services: the open "
                "data API (/api/v1), the citizen API and the Open311 GeoReport v2 API "
                "(/open311/v2, JSON and XML). Only published, anonymised data: scrubbed "
                "text, masked points. Languages: ?lang=ru|ky|en or Accept-Language."
            ),
            "license": {"name": "CC-BY-4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": API_TAG},
            {"name": CITIZEN_TAG},
            {"name": O311_TAG, "externalDocs": {"url": "http://wiki.open311.org/GeoReport_v2"}},
        ],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components(),
            "securitySchemes": {
                "open311_api_key": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "api_key",
                    "description": "One of OPEN311_API_KEYS (may also be sent as a form field).",
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of /api/v1 and /open311/v2."""
    response = jsonify(build_openapi(current_app))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
