"""The staff area's one error convention.

- A refused use case (``ServiceError``: Forbidden 403, NotFound 404, Conflict 409, other
  refusals 400) and invalid input (marshmallow ``ValidationError``, 400) raised by any
  staff view end up here: the JSON API under /staff/api/v1 answers
  ``{"error": {"code", "message"}, "errors": {field: [messages]}}`` (``errors`` for field
  errors), every other page the error page with the same status.
- A form that can be shown again (an action on an appeal, a moderation decision) catches
  input refusals itself — ValidationError and ServiceErrors other than Forbidden/NotFound —
  and renders its page with the messages next to the fields, with the same status codes.
"""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from portal.errors import handle_http_error
from portal.schemas import error_dict
from portal.services.core import Forbidden, NotFound, ServiceError
from portal.staff import bp

#: Under the staff blueprint's prefix: the JSON API.
API_PREFIX = "/api/v1"
#: Refusals no form can fix: the error page (or JSON), never the form again.
FINAL = (Forbidden, NotFound)


def is_api_request() -> bool:
    return request.path.startswith(f"{bp.url_prefix}{API_PREFIX}/")


def refusal(code: int, message: str, errors: dict | None = None):
    """The response to a refusal, in the format of the request's part of the staff area."""
    if is_api_request():
        body: dict = {"error": {"code": code, "message": message}}
        if errors:
            body["errors"] = errors
        return jsonify(body), code
    return render_template("error.html", code=code, message=message), code


@bp.errorhandler(ServiceError)
def service_refused(error: ServiceError):
    return refusal(error.status_code, error.message, error.errors)


@bp.errorhandler(ValidationError)
def input_refused(error: ValidationError):
    return refusal(400, _("Some fields are not valid."), error_dict(error))


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    """JSON for the API, the usual error page for the staff forms."""
    if is_api_request():
        return refusal(400, error.description)
    return handle_http_error(error)
