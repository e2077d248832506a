"""Building blocks of the OpenAPI document: helpers, component schemas, input grammars.

Used by portal.api.openapi (the registry and the document), portal.api.openapi_v1 (the
/api/v1 operations) and portal.api.openapi_open311 (the Open311 operations).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from portal.schemas import open311 as o311

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
                            "text": nullable({"type": "string"}),
                            "in_moderation": {"type": "boolean"},
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


# --- Input grammars shared by the citizen API and Open311 -------------------------------

#: Control characters, which every text field refuses (portal.schemas.fields).
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
#: Python's whitespace: what str.strip removes before any check, so allowed at either end,
#: including the control characters among it (vertical tab, form feed, \x1c–\x1f).
_WS_CHARS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WS = rf"[{_WS_CHARS}]"
_NOT_WS = rf"[^{_CONTROL}{_WS_CHARS}]"
_ANY = rf"[^{_CONTROL}]"
#: One character once CRLF has become LF: CRLF is one, a lone CR is one.
_LINE_CHAR = rf"(?:\r\n|\r(?!\n)|[^{_CONTROL}\r])"


def stripped_text(minimum: int, maximum: int) -> str:
    """After stripping whitespace and turning CRLF into LF (as the appeal form does with
    the description), between ``minimum`` (≥ 2) and ``maximum`` characters."""
    return rf"^{_WS}*{_NOT_WS}{_LINE_CHAR}{{{minimum - 2},{maximum - 2}}}{_NOT_WS}{_WS}*$"


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
                # The form's honeypot (portal.schemas.appeal): people never fill it in.
                "website": {
                    "type": "string",
                    "pattern": rf"^{_WS}*$",
                    "description": "Leave out or empty: a filled-in value marks a bot.",
                },
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
