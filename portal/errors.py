"""Error pages: HTML for people, JSON under /api, Open311's error list under /open311."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("Nothing was found at this address."),
        405: _("This method is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many requests. Please wait a little and try again."),
        500: _("Something went wrong on our side. We have been notified."),
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
    if request.path.startswith("/open311"):
        return jsonify([{"code": code, "description": message}]), code, headers
    if request.path.startswith(("/api", "/staff/api")):
        return jsonify({"error": {"code": code, "message": message}}), code, headers
    return render_template("error.html", code=code, message=message), code, headers


def handle_unexpected(error: Exception):
    """A bug: roll back whatever the request started and answer 500."""
    db.session.rollback()
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
