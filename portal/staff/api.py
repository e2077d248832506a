"""Staff JSON API under /api/v1/staff: the inbox and the service's actions.

Same schemas and use cases as the HTML pages, so the same authorization
(``permissions.ensure_can`` inside every use case, 403 before anything is written).
Authentication is the staff session cookie; because a cookie is sent by browsers on its
own, every POST must carry the CSRF token in an ``X-CSRFToken`` header (the /api
blueprint is otherwise exempt from CSRF, having no cookie-based callers).
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, request
from flask_login import current_user
from marshmallow import ValidationError

from portal.api import bp
from portal.extensions import csrf
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

PREFIX = "/v1/staff"


def _guard() -> None:
    """A signed-in staff member; for writes, a valid CSRF token header."""
    if not current_user.is_authenticated:
        abort(401)
    if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def _refused(error: ServiceError):
    body = {"error": {"code": error.status_code, "message": error.message}}
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
    _guard()
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
    _guard()
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
    _guard()
    if action not in ACTIONS:
        abort(404)
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
