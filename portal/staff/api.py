"""Staff JSON API under /staff/api/v1: the inbox, one appeal, and every staff action.

The action routes are made from the registry (``portal.services.actions``): the same
schemas and use cases as the HTML pages, so the same authorization (403 before anything is
written). Authentication is the staff session cookie, so the API lives in the staff
blueprint (under /staff, private, not in the public /api): CSRF protection applies as to
every staff form — a POST must carry the token in an ``X-CSRFToken`` header. Errors follow
the staff area's convention (``portal.staff.errors``).
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.api import responses
from portal.api.openapi import STAFF_TAG, documented, json_body
from portal.queries.inbox import appeal_case, inbox_page
from portal.schemas.staff import InboxFiltersSchema, load
from portal.services import actions, staff_actions
from portal.services.actions import StaffAction
from portal.services.core import work_calendar
from portal.services.permissions import inbox_service_id
from portal.staff import bp
from portal.staff.errors import API_PREFIX, refusal
from portal.workdays import local_iso

#: URL of each kind of target (portal.services.actions), under API_PREFIX.
TARGET_RULES = {
    actions.APPEAL: "/appeals/<public_id>",
    actions.SUBMISSION: "/moderation/appeals/<int:target>",
    actions.HELD_TEXT: "/moderation/texts/<int:target>",
    actions.VIDEO: "/moderation/videos/<int:target>",
}


def _guard():
    """None for a signed-in staff member, else a JSON 401 (no redirect to the login form)."""
    if not current_user.is_authenticated:
        return refusal(401, _("Log in first."))
    return None


def appeal_state(appeal) -> dict:
    """An appeal's state as the service sees it after an action."""
    return {
        "public_id": appeal.public_id,
        "status": appeal.status.value,
        "resolution": appeal.resolution.value if appeal.resolution else None,
        "service": appeal.service.code,
        "due_at": local_iso(appeal.due_at),
        "deadline_extended": appeal.deadline_extended,
        "reroute_count": appeal.reroute_count,
    }


def _refusals(*codes: int) -> dict:
    """The staff area's refusals (portal.staff.errors), as documented."""
    meaning = {
        400: "Invalid input, field by field (or the CSRF header is missing).",
        401: "Not signed in as staff.",
        403: "Not allowed for this staff member.",
        404: "No such appeal.",
        409: "The action does not fit the appeal's state.",
    }
    return {code: (meaning[code], responses.StaffError) for code in codes}


def _staff_documented(summary: str, ok: tuple[str, object], *codes: int, **declaration):
    return documented(
        summary=summary, tag=STAFF_TAG, security="staff_session",
        responses={200: ok, **_refusals(*codes)}, **declaration,
    )  # fmt: skip


@bp.get(f"{API_PREFIX}/inbox")
@_staff_documented(
    "The signed-in service's inbox (open appeals, deadlines)",
    ("One page of the inbox.", responses.Inbox),
    400, 401, 403,
    query=InboxFiltersSchema,
)  # fmt: skip
def staff_api_inbox():
    """The signed-in service's inbox: open appeals, earliest deadline first."""
    if refused := _guard():
        return refused
    service_id = inbox_service_id(current_user)
    filters = load(InboxFiltersSchema(), request.args)
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
                "submitted_at": local_iso(row.submitted_at),
                "due_at": local_iso(row.due_at),
                "workdays_left": row.workdays_left,
                "overdue": row.overdue,
                "supporters": row.supporters,
            }
            for row in page.rows
        ],
    )


@bp.get(f"{API_PREFIX}/appeals/<public_id>")
@_staff_documented(
    "One appeal as its service sees it (raw text and exact point)",
    ("The appeal.", {"type": "object"}),
    401, 403, 404,
    path={"public_id": "Public id, e.g. BSK-2026-000123."},
)  # fmt: skip
def staff_api_appeal(public_id: str):
    """One appeal as its service sees it: raw text, exact point, answers, notes."""
    if refused := _guard():
        return refused
    appeal = staff_actions.load_appeal(current_user, "view_appeal", public_id)
    case = appeal_case(appeal, calendar=work_calendar())
    return jsonify(
        **appeal_state(appeal),
        raw_text=case.raw_text,
        lat=case.lat,
        lon=case.lon,
        workdays_left=case.workdays_left,
        answers=[
            {"round": a.round, "created_at": local_iso(a.created_at), "text": a.raw_text,
             "public_text": a.public_text, "internal_note": a.internal_note,
             "needs_moderation": a.needs_moderation}
            for a in case.answers
        ],
    )  # fmt: skip


def _result(action: StaffAction, target, result) -> dict:
    """What the API answers after ``action`` succeeded."""
    if action.target == actions.APPEAL:
        if action.hands_over:  # no longer the user's: nothing more to show
            return {"appeal": {"public_id": target}}
        return {
            "appeal": appeal_state(staff_actions.load_appeal(current_user, "view_appeal", target))
        }
    if action.target == actions.SUBMISSION:
        return {"appeal": {"public_id": result.public_id, "status": result.status.value}}
    if action.target == actions.VIDEO:
        return {"video": {"id": result.id, "state": result.state.value}}
    return {"text": {"id": result.id, "decision": result.decision.value}}  # a held text


def _api_view(action: StaffAction):
    def view(public_id: str | None = None, target: int | None = None):
        if refused := _guard():
            return refused
        body = request.get_json(silent=True)
        body = {} if body is None else body  # no body, or not JSON: no fields given
        if not isinstance(body, dict):
            return refusal(400, _("Send a JSON object."), {"_schema": [_("Send a JSON object.")]})
        key = public_id if action.target == actions.APPEAL else target
        result = action.perform(current_user, key, body)
        return jsonify(_result(action, key, result))

    view.__doc__ = f"POST: {action.name} (portal.services.actions)."
    return _action_documented(action)(view)


def _action_documented(action: StaffAction):
    """The action's operation, from its declaration in the registry."""
    event = f" Records the public event {action.event.value}." if action.event else ""
    return _staff_documented(
        action.label,  # rendered in English with the document
        ("Done: the appeal's new state (or the moderator's decision on a held text).",
         responses.ActionDone),
        400, 401, 403, 404, 409,
        description=f"Staff action {action.name!r}; POSTs need the CSRF token in an "
        f"X-CSRFToken header.{event}",
        body=json_body(action.schema) if action.schema else None,
        body_required=False,
        path={"public_id": "Public id, e.g. BSK-2026-000123.",
              "target": "Number of the appeal, held text or video in the moderation queue."},
    )  # fmt: skip


for _action in actions.ACTIONS.values():
    bp.add_url_rule(
        f"{API_PREFIX}{TARGET_RULES[_action.target]}/{_action.path}",
        endpoint=f"api_{_action.name}",
        view_func=_api_view(_action),
        methods=["POST"],
    )
