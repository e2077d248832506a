"""The OpenAPI 3.1 document of /api/v1, the staff API and /open311/v2, generated.

apispec with its marshmallow plugin turns the input schemas (``portal.schemas``) and the
answers' shapes (``portal.api.responses``, ``portal.open311.documents`` — the appeal's
from the public record) into JSON Schema. Each route declares the rest where it is
defined, with ``@documented(...)``; the staff actions' routes are declared from their
registry. A route under a documented prefix without a declaration is listed by
``undocumented_routes`` (a test fails on it).

Input fields state what they accept (``portal.schemas.grammar``), so that a request valid
for this document is accepted and an invalid one refused (schemathesis checks both ways in
tests/portal/test_schemathesis.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, jsonify
from flask_babel import force_locale
from marshmallow import Schema, fields
from sqlalchemy.exc import SQLAlchemyError

from portal.api import bp
from portal.schemas import fields as portal_fields
from portal.schemas import grammar
from portal.schemas.open311 import StrictBoolean

OPENAPI_VERSION = "3.1.0"
DOCUMENTED_PREFIXES = ("/api/v1", "/open311/v2", "/staff/api/v1")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
API_TAG = "Open data API"
CITIZEN_TAG = "Citizen API"
STAFF_TAG = "Staff API"
O311_TAG = "Open311 GeoReport v2"
CLIENT_TAG = "City app clients"
XML = {"text/xml": {"schema": {"type": "string"}}}
_BOOLEAN_WORDS = sorted({str(v) for v in (*fields.Boolean.truthy, *fields.Boolean.falsy)} | {""})


@dataclass(frozen=True)
class Doc:
    """What a route's declaration adds to its schemas."""

    summary: str
    tag: str
    #: status → (description, shape): a marshmallow schema (class or instance), an inline
    #: JSON Schema, or None (no body)
    responses: Mapping[int, tuple[str, Any]]
    description: str | None = None
    #: marshmallow schema of the query string, or ``factory(ctx)`` giving one
    query: Any = None
    #: ``factory(ctx, converter)`` giving the request body's content map
    body: Callable[[Context, Any], dict] | None = None
    body_required: bool = True
    security: str | None = None
    #: an empty query value means "any" (the shared filters of /api/v1)
    blank_means_any: bool = False
    #: descriptions of the path's variables
    path: Mapping[str, str] = field(default_factory=dict)
    #: media type of a successful answer (JSON, or GeoJSON)
    media: str = "application/json"


def documented(**declaration) -> Callable:
    """Declare a route's OpenAPI operation (``Doc``'s fields) where the route is defined."""
    doc = Doc(**declaration)

    def attach(view):
        view.openapi = doc
        return view

    return attach


class Context:
    """What the document depends on: page sizes from the settings, cities and categories
    from the reference data (when the database can be read)."""

    def __init__(self, app: Flask) -> None:
        self.max_page_size = int(app.config["MAX_PAGE_SIZE"])
        self.page_size = int(app.config["PAGE_SIZE"])
        self.cities: dict[str, list[float]] = {}  # slug → [min_lon, min_lat, max_lon, max_lat]
        self.categories: list[str] = []
        try:
            from portal.queries.reference import load_reference

            with app.app_context():
                reference = load_reference()
        except SQLAlchemyError:  # no database yet: describe codes by their pattern
            return
        self.cities = {slug: list(city.extra["bbox"]) for slug, city in reference.cities.items()}
        self.categories = sorted({code for _city, code in reference.categories})


# --- Fields → JSON Schema: what the input schemas accept --------------------------------------


def grammar_property(self, field_: fields.Field, ret: dict, **kwargs) -> dict:
    """A field's own grammar (``metadata["grammar"]`` or the field class's ``grammar``)
    replaces what apispec derived from types and validators: the raw text a client may
    send (stripping, blank = absent) is not described by length limits. Other text fields
    refuse control characters, and say so."""
    rule = field_.metadata.get("grammar", getattr(field_, "grammar", None))
    if rule is None:
        if isinstance(field_, portal_fields.String) and not {"pattern", "enum"} & set(ret):
            ret["pattern"] = grammar.NO_CONTROL
        return {}
    for key in ("type", "format", "pattern", "minLength", "maxLength", "enum", "default"):
        ret.pop(key, None)
    rule = dict(rule)
    if field_.allow_none:
        if "type" in rule and "anyOf" not in rule:
            rule["type"] = [rule["type"], "null"]
        else:
            rule = {"anyOf": [rule, {"type": "null"}]}
    ret.update(rule)
    return {}


def make_spec(app: Flask) -> APISpec:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Ачык Шаар (Open City) API",
        version="1",
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={
            "description": (
                "Published appeals of Bishkek and Osh to their city services: the open "
                "data API (/api/v1), the citizen API, the staff API (/staff/api/v1) and the "
                "Open311 GeoReport v2 API (/open311/v2, JSON and XML). Only published, "
                "anonymised data: scrubbed text, masked points. Languages: ?lang=ru|ky|en "
                "or Accept-Language. Query arguments an operation does not list are refused "
                "with 400 naming them."
            ),
            "license": {"name": "CC-BY-4.0", "identifier": "CC-BY-4.0"},
        },
        servers=[{"url": "/"}],
        tags=[
            {"name": API_TAG},
            {"name": CITIZEN_TAG},
            {"name": STAFF_TAG},
            {"name": CLIENT_TAG},
            {"name": O311_TAG, "externalDocs": {"url": "http://wiki.open311.org/GeoReport_v2"}},
        ],
    )
    plugin.converter.add_attribute_function(grammar_property)
    spec.components.security_scheme(
        "staff_session",
        {"type": "apiKey", "in": "cookie", "name": "session",
         "description": "The session cookie of a staff member signed in at /staff."},
    )  # fmt: skip
    spec.components.security_scheme(
        "open311_api_key",
        {"type": "apiKey", "in": "query", "name": "api_key",
         "description": "The key of a client created in the staff admin area (or, as a "
                        "fallback, one of OPEN311_API_KEYS); may also be sent as a form field "
                        "or in the X-Api-Key header."},
    )  # fmt: skip
    spec.components.security_scheme(
        "client_api_key",
        {"type": "apiKey", "in": "header", "name": "X-Api-Key",
         "description": "The key of a client created in the staff admin area."},
    )  # fmt: skip
    return spec


# --- Parameters and bodies ---------------------------------------------------------------------


def blank_or(schema: dict) -> dict:
    """The schema of a query value that may also be empty (meaning "any")."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]}
    if schema.get("type") == "string" and "pattern" in schema and "format" not in schema:
        return {**schema, "pattern": grammar.optional(schema["pattern"])}  # "" is no date
    return {"anyOf": [schema, {"const": ""}]}


def query_parameters(doc: Doc, ctx: Context, converter) -> list[dict]:
    schema = (
        doc.query(ctx) if callable(doc.query) and not isinstance(doc.query, type) else doc.query
    )
    instance = schema() if isinstance(schema, type) else schema
    parameters = []
    for name, field_ in instance.fields.items():
        parameter = converter._field2parameter(
            field_, name=field_.data_key or name, location="query"
        )
        schema = without_nulls(parameter["schema"])  # a query string has no null
        schema.pop("default", None)
        if isinstance(field_, fields.Boolean) and not isinstance(field_, StrictBoolean):
            schema = {"type": "string", "enum": _BOOLEAN_WORDS}  # as forms send it
        elif doc.blank_means_any and not field_.required:
            schema = blank_or(schema)
        parameter["schema"] = schema
        parameters.append(parameter)
    return parameters


_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def path_parameters(rule: str, doc: Doc) -> list[dict]:
    types = {"int": "integer", "float": "number"}
    return [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "description": doc.path.get(match["name"], ""),
            "schema": {"type": types.get(match["converter"], "string")},
        }
        for match in _VARIABLE.finditer(rule)
        if match["converter"] != "any"
    ]


def json_body(schema: type[Schema]) -> Callable[[Context, Any], dict]:
    """A JSON body read by ``schema`` (inline, as the schema accepts it)."""
    return lambda ctx, converter: {
        "application/json": {"schema": converter.schema2jsonschema(schema)}
    }


def place_constraints(body: dict, ctx: Context, names: Mapping[str, str], *,
                      default_city: str | None = None, nullable: bool = False) -> dict:  # fmt: skip
    """The cities and categories that exist, and each city's extent: the point must lie
    inside the chosen city (``default_city`` when the city is left out)."""
    city, category, lat, lon = (names[key] for key in ("city", "category", "lat", "lon"))
    properties = body["properties"]
    if ctx.categories:
        properties[category] = {"type": "string", "enum": ctx.categories}
    if not ctx.cities:
        return body
    cities = {"type": "string", "enum": sorted(ctx.cities)}
    properties[city] = {"anyOf": [cities, {"type": "null"}]} if nullable else cities
    choices = []
    for slug, box in sorted(ctx.cities.items()):
        choice: dict = {
            "properties": {
                city: {"anyOf": [{"const": slug}, {"type": "null"}]}
                if nullable and slug == default_city
                else {"const": slug},
                lat: {"minimum": box[1], "maximum": box[3]},
                lon: {"minimum": box[0], "maximum": box[2]},
            }
        }
        if slug != default_city:
            choice["required"] = [city]
        choices.append(choice)
    body["oneOf"] = choices
    return body


def without_nulls(schema: Any) -> Any:
    """A form body's schema: forms have no null (JSON bodies may send null = absent)."""
    if isinstance(schema, list):
        return [without_nulls(item) for item in schema if item != {"type": "null"}]
    if not isinstance(schema, dict):
        return schema
    out = {key: without_nulls(value) for key, value in schema.items()}
    if isinstance(out.get("type"), list):
        kinds = [kind for kind in out["type"] if kind != "null"]
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "anyOf" in out and len(out["anyOf"]) == 1:
        out.update(out.pop("anyOf")[0])
    return out


# --- Operations ---------------------------------------------------------------------------------


def responses(doc: Doc, path: str) -> dict:
    xml = path.endswith(".xml")
    out = {}
    for status, (description, shape) in sorted(doc.responses.items()):
        answer: dict = {"description": description}
        if shape is not None:
            media = doc.media if 200 <= status < 300 else "application/json"
            answer["content"] = XML if xml else {media: {"schema": shape}}
        out[str(status)] = answer
    return out


def operation(doc: Doc, ctx: Context, converter, rule: str, path: str, endpoint: str) -> dict:
    suffix = path.rsplit(".", 1)[1] if path.endswith((".json", ".xml")) else ""
    summary = f"{doc.summary} ({suffix.upper()})" if suffix else str(doc.summary)
    op: dict = {
        "tags": [doc.tag],
        "summary": summary,
        "operationId": endpoint.replace(".", "_") + (f"_{suffix}" if suffix else ""),
    }
    if doc.description:
        op["description"] = doc.description
    parameters = path_parameters(rule, doc)
    if doc.query is not None:
        parameters += query_parameters(doc, ctx, converter)
    if parameters:
        op["parameters"] = parameters
    if doc.body is not None:
        op["requestBody"] = {"required": doc.body_required, "content": doc.body(ctx, converter)}
    if doc.security:
        op["security"] = [{doc.security: []}]
    op["responses"] = responses(doc, path)
    return op


# --- Routes → OpenAPI paths ---------------------------------------------------------------------


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


def documented_routes(app: Flask) -> Iterator[tuple[str, str, Any]]:
    """Every (method, OpenAPI path, werkzeug rule) of the app under a documented prefix."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(DOCUMENTED_PREFIXES):
            continue
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            for path in openapi_paths(rule.rule):
                yield method.lower(), path, rule


def declaration(app: Flask, rule) -> Doc | None:
    return getattr(app.view_functions.get(rule.endpoint), "openapi", None)


def undocumented_routes(app: Flask) -> list[str]:
    """Routes that exist but declare no operation (must stay empty)."""
    return sorted(
        f"{method.upper()} {path}"
        for method, path, rule in documented_routes(app)
        if declaration(app, rule) is None
    )


def build_openapi(app: Flask) -> dict:
    """The OpenAPI 3.1 document of the routes that exist in ``app``."""
    ctx = Context(app)
    spec = make_spec(app)
    converter = spec.plugins[0].converter
    paths: dict[str, dict] = {}
    with force_locale("en"):  # declarations may hold translatable labels
        for method, path, rule in documented_routes(app):
            doc = declaration(app, rule)
            if doc is not None:
                paths.setdefault(path, {})[method] = operation(
                    doc, ctx, converter, rule.rule, path, rule.endpoint
                )
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of /api/v1, the staff API and /open311/v2."""
    response = jsonify(build_openapi(current_app))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
