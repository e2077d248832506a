"""Staff area routes: the service inbox, one appeal, and the service's actions on it.

Thin views: a schema parses the input, ``portal.services.staff_actions`` decides (and
checks authorization through ``permissions.ensure_can``), a template renders. Forbidden
becomes 403 and NotFound 404 before anything is written.
"""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError

from portal.queries.inbox import appeal_case, inbox_page, reroute_targets
from portal.queries.reference import load_reference
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
from portal.services.core import Forbidden, NotFound, ServiceError, work_calendar
from portal.services.permissions import ensure_can, inbox_service_id
from portal.staff import bp


@bp.errorhandler(Forbidden)
@bp.errorhandler(NotFound)
def _refused(error: ServiceError):
    return render_template("error.html", code=error.status_code, message=error.message), (
        error.status_code
    )


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
            ref=_inbox_reference(), service=current_user.service,
        ), 400  # fmt: skip
    page = inbox_page(
        service_id,
        filters,
        per_page=current_app.config["PAGE_SIZE"],
        calendar=work_calendar(),
    )
    return render_template(
        "staff/inbox.html", page=page, filters=filters, errors={}, ref=_inbox_reference(),
        service=current_user.service,
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


def _act(public_id: str, form_name: str, schema, action, done: str):
    """Validate ``schema``, run ``action(data)``; on refusal show the appeal with the error."""
    # Authorization first: a forged id is refused before the input is even looked at.
    staff_actions.load_appeal(current_user, _ACTION_NAMES[form_name], public_id)
    try:
        data = load(schema, {**request.form.to_dict(), **request.files.to_dict()})
        action(data)
    except ValidationError as exc:
        return _render_case(public_id, errors=error_dict(exc), form=form_name, status=400)
    except (Forbidden, NotFound):
        raise
    except ServiceError as exc:
        return _render_case(
            public_id, errors=exc.errors, form=form_name, message=exc.message,
            status=exc.status_code,
        )  # fmt: skip
    flash(done, "success")
    return redirect(url_for("staff.appeal", public_id=public_id))


_ACTION_NAMES = {
    "acknowledge": "acknowledge",
    "answer": "answer",
    "status": "set_status",
    "reroute": "reroute",
    "extend": "extend_deadline",
}


@bp.post("/appeals/<public_id>/acknowledge")
@login_required
def acknowledge(public_id: str):
    return _act(
        public_id, "acknowledge", _EmptySchema(),
        lambda data: staff_actions.acknowledge(current_user, public_id),
        _("The appeal is acknowledged."),
    )  # fmt: skip


@bp.post("/appeals/<public_id>/answer")
@login_required
def answer(public_id: str):
    return _act(
        public_id, "answer", AnswerSchema(),
        lambda data: staff_actions.answer(
            current_user, public_id, text=data["text"],
            internal_note=data["internal_note"], photo=data["photo"],
        ),
        _("The answer is saved. The citizen has been offered to rate it."),
    )  # fmt: skip


@bp.post("/appeals/<public_id>/status")
@login_required
def set_status(public_id: str):
    return _act(
        public_id, "status", SetStatusSchema(),
        lambda data: staff_actions.set_status(
            current_user, public_id, status=data["status"], duplicate_of=data["duplicate_of"]
        ),
        _("The status is changed."),
    )  # fmt: skip


@bp.post("/appeals/<public_id>/reroute")
@login_required
def reroute(public_id: str):
    def run(data):
        staff_actions.reroute(
            current_user, public_id, service_code=data["service"], reason=data["reason"]
        )

    result = _act(public_id, "reroute", RerouteSchema(), run, _("The appeal was passed on."))
    if getattr(result, "status_code", None) == 302:
        # The appeal now belongs to another service: back to the inbox.
        return redirect(url_for("staff.inbox"))
    return result


@bp.post("/appeals/<public_id>/extend")
@login_required
def extend(public_id: str):
    return _act(
        public_id, "extend", ExtendSchema(),
        lambda data: staff_actions.extend_deadline(
            current_user, public_id, days=data["days"], reason=data["reason"]
        ),
        _("The deadline is extended."),
    )  # fmt: skip


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


class _EmptySchema:
    """Acknowledging takes no input (besides the CSRF token)."""

    def load(self, data):
        return {}


# Other staff route modules (login, administration) register on import.
from portal.staff import admin, api, auth  # noqa: E402,F401
