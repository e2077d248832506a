"""JSON request bodies are checked once, before any view reads them.

Python's json module accepts what JSON does not (NaN, Infinity, 1e999 read as infinity)
and fails with RecursionError — not ValueError, so not a 400 — on deeply nested input;
a body of hundreds of thousands of tiny values costs far more memory than its size. Every
JSON body is therefore parsed strictly here first; a body that is not plain JSON gets a 400
in the format of its endpoint ({"errors": {...}} on the APIs, Open311's error list, the
error page elsewhere) and no view runs. Views then read ``request.get_json()`` as usual.
"""

from __future__ import annotations

import json
import math

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _

#: Most brackets, commas and colons a body may hold: far above any real request (text
#: fields are limited to a few thousand characters; base64 photos have none).
MAX_JSON_TOKENS = 100_000
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class InvalidJSON(ValueError):
    """The body is not plain JSON; the message is translated for the client."""


def _refuse_constant(name: str):
    raise InvalidJSON(_("NaN and Infinity are not numbers in JSON."))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJSON(_("This number is too large."))
    return value


def strict_loads(data: bytes):
    """Parse JSON the way RFC 8259 reads it, or raise InvalidJSON."""
    tokens = sum(data.count(char) for char in (b"[", b"{", b",", b":"))
    if tokens > MAX_JSON_TOKENS:
        raise InvalidJSON(_("The JSON body has too many values."))
    try:
        return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except InvalidJSON:
        raise
    except RecursionError:
        raise InvalidJSON(_("The JSON body is nested too deeply.")) from None
    except ValueError:  # malformed, not UTF-8, an integer of more than 4,300 digits
        raise InvalidJSON(_("The body is not valid JSON.")) from None


def check_json_body():
    """before_request: answer 400 for a JSON body that is too large or not plain JSON."""
    if request.method not in BODY_METHODS or not request.is_json:
        return None
    # Videos come only as multipart files: a JSON body is held to the photos' share.
    limits = [current_app.config.get(key) for key in ("MAX_CONTENT_LENGTH", "MAX_JSON_BYTES")]
    limit = min((value for value in limits if value), default=None)
    if limit and (request.content_length or 0) > limit:
        return bad_body(_("The JSON body is too large."))
    try:
        strict_loads(request.get_data(cache=True))
    except InvalidJSON as error:
        return bad_body(str(error))
    return None


def bad_body(message: str):
    """A 400 for the request body in its endpoint's error format."""
    if request.blueprint == "open311":
        from portal.open311.views import Open311Error

        raise Open311Error(400, [message])
    if request.path.startswith("/staff/api/"):  # the staff area's one error shape
        from portal.staff.errors import refusal

        return refusal(400, message, {"_schema": [message]})
    if request.path.startswith("/api/"):
        return jsonify(errors={"_schema": [message]}), 400
    return render_template("error.html", code=400, message=message), 400
