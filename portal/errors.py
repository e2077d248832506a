"""Error pages: HTML for people, JSON under /api, Open311's error list under /open311.

Every unhandled error is logged with the request's id, which the page shows as the error
reference. A database that cannot be reached is not a bug: 503 with ``Retry-After``.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from portal.extensions import db
from portal.logs import request_id

#: What a database outage may look like: no connection, a dropped one, an exhausted pool.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
#: SQLite reports a missing table as an OperationalError too: only these are outages.
_SQLITE_OUTAGES = ("locked", "busy", "unable to open", "disk i/o", "readonly")


def is_outage(error: Exception) -> bool:
    """True when ``error`` says the database is unreachable or busy, not that a query is wrong."""
    if isinstance(error, InterfaceError | PoolTimeout):
        return True
    if getattr(error, "connection_invalidated", False):
        return True
    orig = getattr(error, "orig", None)
    if type(orig).__module__.startswith("sqlite3"):
        return any(word in str(orig).lower() for word in _SQLITE_OUTAGES)
    return isinstance(error, OperationalError)


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("Nothing was found at this address."),
        405: _("This method is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many requests. Please wait a little and try again."),
        500: _("Something went wrong on our side. We have been notified."),
        503: _("The portal is briefly unavailable. Nothing was lost; please try again shortly."),
    }


def _describe(error: HTTPException) -> str:
    return _messages().get(error.code or 500, error.description or "")


def error_headers(error: HTTPException) -> dict[str, str]:
    """Headers the error carries besides its body (``Allow`` of a 405, ``Retry-After``…)."""
    return {name: value for name, value in error.get_headers() if name.lower() != "content-type"}


def handle_http_error(error: HTTPException):
    """Render the error in the format the client asked for."""
    code = error.code or 500
    message = _describe(error)
    headers = error_headers(error)
    reference = request_id() if code >= 500 else None
    if request.path.startswith("/open311"):
        return jsonify([{"code": code, "description": message}]), code, headers
    if request.path.startswith(("/api", "/staff/api")):
        body = {"code": code, "message": message}
        if reference:
            body["request_id"] = reference
        return jsonify({"error": body}), code, headers
    return (
        render_template("error.html", code=code, message=message, reference=reference),
        code,
        headers,
    )


def _rollback() -> None:
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is gone; the pool replaces it
        db.session.remove()


def handle_database_down(error: Exception):
    """The database cannot be reached: 503 with Retry-After, logged once per request."""
    if not is_outage(error):
        if current_app.testing:
            raise error
        return handle_unexpected(error)
    _rollback()
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    unavailable = ServiceUnavailable(retry_after=current_app.config["DATABASE_RETRY_AFTER"])
    return handle_http_error(unavailable)


def handle_unexpected(error: Exception):
    """A bug: log it with the request id, roll back whatever the request started, 500."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    _rollback()
    current_app.logger.error("unhandled error", exc_info=error)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    for kind in DATABASE_DOWN:
        app.register_error_handler(kind, handle_database_down)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
