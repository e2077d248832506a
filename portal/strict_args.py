"""Strict query strings: an address refuses the arguments it does not read.

A misspelt filter (``?from=`` for ``date_from``, ``?service=`` on /performance) used to be
ignored, so a shared link silently showed every appeal. Each public route now names the
marshmallow schemas that read its query string (the same ones that parse it and that the
OpenAPI document describes); any other argument is a 400 naming it and the arguments the
address accepts. The list of accepted names is derived from the schemas, never written out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

import orjson
from flask import Response, render_template, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from portal.schemas import error_dict

#: Read by every page and API, not by a schema: the interface language (portal.i18n).
ALWAYS_ALLOWED = ("lang",)
#: At most this many unknown names are reported (and each is cut to this length), so a
#: hostile URL cannot make a large answer.
MAX_REPORTED, MAX_NAME = 10, 40

SchemaLike = type[Schema] | Schema


def allowed_names(*schemas: SchemaLike) -> tuple[str, ...]:
    """The query arguments read by ``schemas`` (their data keys), then ALWAYS_ALLOWED.

    A schema instance counts with its own fields, so ``Schema(only=…)`` narrows what an
    address accepts."""
    names = [spec.data_key or name for schema in schemas for name, spec in _fields(schema).items()]
    return tuple(dict.fromkeys([*names, *ALWAYS_ALLOWED]))


def _fields(schema: SchemaLike) -> dict:
    return schema._declared_fields if isinstance(schema, type) else schema.fields


def refuse_unknown(args: Iterable[str], *schemas: SchemaLike) -> None:
    """Raise ValidationError naming every argument of ``args`` none of ``schemas`` reads."""
    allowed = allowed_names(*schemas)
    unknown = [name for name in dict.fromkeys(args) if name not in allowed]
    if not unknown:
        return
    listed = ", ".join(name for name in allowed if name not in ALWAYS_ALLOWED)
    message = str(_l("Unknown parameter; this address accepts: %(names)s.", names=listed))
    raise ValidationError({name[:MAX_NAME]: [message] for name in unknown[:MAX_REPORTED]})


def json_errors(error: ValidationError) -> Response:
    """The API's error shape: 400 with ``{"errors": {field: [message, …]}}``."""
    body = orjson.dumps({"errors": error_dict(error)})
    return Response(body, status=400, mimetype="application/json")


def html_error_page(error: ValidationError) -> tuple[str, int]:
    """The error page, naming each unknown argument (translated)."""
    lines = [
        str(_l("“%(name)s”: %(message)s", name=name, message=message))
        for name, messages in error_dict(error).items()
        for message in messages
    ]
    heading = str(_l("This address does not accept some of the parameters given."))
    return render_template("error.html", code=400, message=heading, details=lines), 400


def strict_query(
    *schemas: SchemaLike, respond: Callable[[ValidationError], object] = json_errors
) -> Callable:
    """Refuse, with ``respond(error)``, a request whose query string has an argument that
    none of ``schemas`` reads (ALWAYS_ALLOWED aside)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            try:
                refuse_unknown(request.args.keys(), *schemas)
            except ValidationError as error:
                return respond(error)
            return view(*args, **kwargs)

        return checked

    return decorate
