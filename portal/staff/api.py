"""Staff JSON API under /staff/api/v1: the inbox and the service's actions.

Same schemas and use cases as the HTML pages, so the same authorization
(``permissions.ensure_can`` inside every use case, 403 before anything is written).
Authentication is the staff session cookie, so the API lives in the staff blueprint (under
/staff, private, not in the public /api): CSRF protection applies as to every staff form —
a POST must carry the token in an ``X-CSRFToken`` header.
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError

from portal.errors import handle_http_error
from portal.queries.inbox import appeal_case, inbox_page
from portal.schemas import error_dict
from portal.schemas.staff import (
    AnswerSchema,
    ExtendSchema,
    InboxFiltersSchema,
    RerouteSchema,
    SetStatusSchema,
    load,
)
from portal.services import staff_actions
from portal.services.core import ServiceError, work_calendar
from portal.services.permissions import inbox_service_id
from portal.staff import bp

PREFIX = "/api/v1"


def _error(code: int, message: str):
    return jsonify(error={"code": code, "message": message}), code


def _guard():
    """None for a signed-in staff member, else a JSON 401 (no redirect to the login form)."""
    if not current_user.is_authenticated:
        return _error(401, _("Log in first."))
    return None


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError):
    """JSON for the API, the usual error page for the staff forms."""
    if request.path.startswith(f"{bp.url_prefix}{PREFIX}/"):
        return _error(400, error.description)
    return handle_http_error(error)


def _refused(error: ServiceError):
    body = {"error": {"code": error.status_code, "message": error.message}}  # as /api
    if error.errors:
        body["errors"] = error.errors
    return jsonify(body), error.status_code


def _appeal_json(appeal) -> dict:
    return {
        "public_id": appeal.public_id,
        "status": appeal.status.value,
        "resolution": appeal.resolution.value if appeal.resolution else None,
        "service": appeal.service.code,
        "due_at": appeal.due_at.isoformat(),
        "deadline_extended": appeal.deadline_extended,
        "reroute_count": appeal.reroute_count,
    }


@bp.get(f"{PREFIX}/inbox")
def staff_api_inbox():
    if refused := _guard():
        return refused
    try:
        service_id = inbox_service_id(current_user)
        filters = load(InboxFiltersSchema(), request.args)
    except ServiceError as exc:
        return _refused(exc)
    except ValidationError as exc:
        return jsonify(errors=error_dict(exc)), 400
    page = inbox_page(
        service_id, filters, per_page=current_app.config["PAGE_SIZE"], calendar=work_calendar()
    )
    return jsonify(
        total=page.total,
        overdue=page.overdue,
        page=page.page,
        pages=page.pages,
        items=[
            {
                "public_id": row.public_id,
                "category": row.category,
                "district": row.district,
                "status": row.status,
                "submitted_at": row.submitted_at.isoformat(),
                "due_at": row.due_at.isoformat(),
                "workdays_left": row.workdays_left,
                "overdue": row.overdue,
            }
            for row in page.rows
        ],
    )


@bp.get(f"{PREFIX}/appeals/<public_id>")
def staff_api_appeal(public_id: str):
    if refused := _guard():
        return refused
    try:
        appeal = staff_actions.load_appeal(current_user, "view_appeal", public_id)
    except ServiceError as exc:
        return _refused(exc)
    case = appeal_case(appeal, calendar=work_calendar())
    return jsonify(
        **_appeal_json(appeal),
        raw_text=case.raw_text,
        lat=case.lat,
        lon=case.lon,
        workdays_left=case.workdays_left,
        answers=[
            {"round": a.round, "created_at": a.created_at.isoformat(), "text": a.raw_text,
             "public_text": a.public_text, "internal_note": a.internal_note,
             "needs_moderation": a.needs_moderation}
            for a in case.answers
        ],
    )  # fmt: skip


ACTIONS = {
    "acknowledge": ("acknowledge", None, lambda user, pid, d: staff_actions.acknowledge(user, pid)),
    "answer": (
        "answer",
        AnswerSchema,
        lambda user, pid, d: staff_actions.answer(
            user, pid, text=d["text"], internal_note=d["internal_note"], photo=d["photo"]
        ),
    ),
    "status": (
        "set_status",
        SetStatusSchema,
        lambda user, pid, d: staff_actions.set_status(
            user, pid, status=d["status"], duplicate_of=d["duplicate_of"]
        ),
    ),
    "reroute": (
        "reroute",
        RerouteSchema,
        lambda user, pid, d: staff_actions.reroute(
            user, pid, service_code=d["service"], reason=d["reason"]
        ),
    ),
    "extend": (
        "extend_deadline",
        ExtendSchema,
        lambda user, pid, d: staff_actions.extend_deadline(
            user, pid, days=d["days"], reason=d["reason"]
        ),
    ),
}


@bp.post(f"{PREFIX}/appeals/<public_id>/<action>")
def staff_api_action(public_id: str, action: str):
    """POST a JSON body (answer, status, reroute, extend) or nothing (acknowledge)."""
    if refused := _guard():
        return refused
    if action not in ACTIONS:
        return _error(404, _("Nothing was found at this address."))
    permission, schema, run = ACTIONS[action]
    try:
        # Authorization first: a forged id is refused before the body is looked at.
        staff_actions.load_appeal(current_user, permission, public_id)
        data = load(schema(), request.get_json(silent=True) or {}) if schema else {}
        if action == "answer":
            data["photo"] = None  # photos are uploaded through the HTML form
        run(current_user, public_id, data)
    except ValidationError as exc:
        return jsonify(errors=error_dict(exc)), 400
    except ServiceError as exc:
        return _refused(exc)
    appeal = staff_actions.load_appeal(current_user, "view_appeal", public_id) if (
        action != "reroute"
    ) else None  # fmt: skip
    return jsonify(appeal=_appeal_json(appeal) if appeal else {"public_id": public_id}), 200
