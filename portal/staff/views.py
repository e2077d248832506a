"""Staff area routes: the service inbox, one appeal, and the service's actions on it.

Thin views: the actions' routes are made from the registry (``portal.services.actions``),
which authorizes, validates and runs the use case; a template renders. Forbidden becomes
403 and NotFound 404 before anything is written (``portal.staff.errors``).
"""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from portal.queries.inbox import appeal_case, inbox_page, reroute_targets
from portal.queries.reference import load_reference
from portal.schemas import error_dict
from portal.schemas.staff import INBOX_STATUSES, InboxFiltersSchema, load
from portal.services import actions, staff_actions
from portal.services.actions import StaffAction
from portal.services.core import ServiceError, work_calendar
from portal.services.permissions import ensure_can, inbox_service_id
from portal.staff import bp
from portal.staff.errors import FINAL

#: Seconds the inbox may show cached reference names (labels only; never used to decide).
REFERENCE_TTL = 60.0


def _inbox_reference():
    """Reference names for the inbox, cached briefly per process (the busiest page)."""
    cached = current_app.extensions.get("staff.inbox_reference")
    now = time.monotonic()
    if cached is None or now - cached[0] > REFERENCE_TTL:
        cached = (now, load_reference())
        current_app.extensions["staff.inbox_reference"] = cached
    return cached[1]


@bp.get("/inbox")
@login_required
def inbox():
    """Open appeals of the user's service, earliest deadline (overdue) first."""
    service_id = inbox_service_id(current_user)
    try:
        filters = load(InboxFiltersSchema(), request.args)
    except ValidationError as exc:
        return render_template(
            "staff/inbox.html", page=None, filters=None, errors=error_dict(exc),
            ref=_inbox_reference(), service=current_user.service, statuses=INBOX_STATUSES,
        ), 400  # fmt: skip
    page = inbox_page(
        service_id,
        filters,
        per_page=current_app.config["PAGE_SIZE"],
        calendar=work_calendar(),
    )
    return render_template(
        "staff/inbox.html", page=page, filters=filters, errors={}, ref=_inbox_reference(),
        service=current_user.service, statuses=INBOX_STATUSES,
    )  # fmt: skip


def _render_case(public_id: str, *, errors: dict | None = None, form: str | None = None,
                 message: str | None = None, status: int = 200):  # fmt: skip
    appeal = staff_actions.load_appeal(current_user, "view_appeal", public_id)
    return render_template(
        "staff/appeal.html",
        case=appeal_case(appeal, calendar=work_calendar()),
        targets=reroute_targets(appeal),
        ref=load_reference(),
        errors=errors or {},
        failed_form=form,
        message=message,
        values=request.form if request.method == "POST" else {},
    ), status


@bp.get("/appeals/<public_id>")
@login_required
def appeal(public_id: str):
    """One appeal as its service sees it: raw text, exact point, private notes."""
    return _render_case(public_id)


def _action_view(action: StaffAction):
    """The form handler of ``action`` on an appeal: on success back to the appeal (to the
    inbox when it left the service); refused input shows the appeal with the errors."""

    @login_required
    def view(public_id: str):
        try:
            action.perform(current_user, public_id, {**request.form.to_dict(),
                                                     **request.files.to_dict()})  # fmt: skip
        except ValidationError as exc:
            return _render_case(public_id, errors=error_dict(exc), form=action.name, status=400)
        except FINAL:
            raise  # the blueprint's error page (portal.staff.errors)
        except ServiceError as exc:
            return _render_case(
                public_id, errors=exc.errors, form=action.name, message=exc.message,
                status=exc.status_code,
            )  # fmt: skip
        flash(str(action.done) % {"id": public_id}, "success")
        if action.hands_over:
            return redirect(url_for("staff.inbox"))
        return redirect(url_for("staff.appeal", public_id=public_id))

    view.__doc__ = f"POST: {action.name} (portal.services.actions)."
    return view


for _action in actions.on(actions.APPEAL):
    bp.add_url_rule(
        f"/appeals/<public_id>/{_action.path}",
        endpoint=_action.name,
        view_func=_action_view(_action),
        methods=["POST"],
    )


@bp.get("/photos/<photo_id>")
@login_required
def photo(photo_id: str):
    """A photo of an appeal (or of an answer), for the staff of its service only."""
    from portal.queries.inbox import staff_photo

    found = staff_photo(photo_id)
    if found is None:
        abort(404)
    photo_row, appeal_row = found
    ensure_can(current_user, "view_appeal", appeal_row)
    response = current_app.response_class(photo_row.data, mimetype=photo_row.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Other staff route modules (login, administration) register on import.
from portal.staff import admin, api, auth, news, videos  # noqa: E402,F401
