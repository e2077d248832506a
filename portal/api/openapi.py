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
from collections.abc import Iterator

from flask import Flask, current_app, jsonify

from portal.api import bp
from portal.api.openapi_open311 import (
    O311_TAG,
    op_create_request,
    op_discovery,
    op_request,
    op_requests,
    op_service_definition,
    op_services,
    op_token,
)
from portal.api.openapi_schemas import Builder, Context, components
from portal.api.openapi_v1 import (
    API_TAG,
    BBOX_RE,
    CITIZEN_TAG,
    STAFF_TAG,
    op_api_index,
    op_appeal,
    op_appeal_geojson,
    op_appeals,
    op_map,
    op_rate,
    op_reopen,
    op_staff_action,
    op_staff_appeal,
    op_staff_inbox,
    op_submit_appeal,
    op_track,
)

OPENAPI_VERSION = "3.1.0"
DOCUMENTED_PREFIXES = ("/api/v1", "/open311/v2")
IGNORED_METHODS = {"HEAD", "OPTIONS"}

__all__ = ["BBOX_RE", "OPERATIONS", "build_openapi", "undocumented_routes"]

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
    ("get", "/api/v1/staff/inbox"): op_staff_inbox,
    ("get", "/api/v1/staff/appeals/{public_id}"): op_staff_appeal,
    ("post", "/api/v1/staff/appeals/{public_id}/{action}"): op_staff_action,
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
            {"name": STAFF_TAG},
            {"name": O311_TAG, "externalDocs": {"url": "http://wiki.open311.org/GeoReport_v2"}},
        ],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components(),
            "securitySchemes": {
                "staff_session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The session cookie of a staff member signed in at /staff.",
                },
                "open311_api_key": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "api_key",
                    "description": "One of OPEN311_API_KEYS (may also be sent as a form field).",
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of /api/v1 and /open311/v2."""
    response = jsonify(build_openapi(current_app))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
