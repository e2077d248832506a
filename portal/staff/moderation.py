"""Moderation routes: the queue of submitted appeals, decisions, flagged answers, photos.

Thin views: decisions are staff actions (``portal.services.actions``: publish, reject,
approve_answer), which authorize, validate and run ``portal.services.moderation``. Only
moderators and administrators get in (``ensure_can(user, "moderate")``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from marshmallow import Schema, ValidationError

from opendata.geomask import distance_m
from portal.models import StaffUser
from portal.schemas import error_dict
from portal.schemas.moderation import REASONS, DecisionSchema, ListPageSchema
from portal.services import moderation as service
from portal.services.actions import ACTIONS
from portal.services.core import Forbidden, NotFound, ServiceError
from portal.services.permissions import ensure_can
from portal.staff import bp
from portal.staff.errors import FINAL

#: What each kind of personal data found by the scrubber is called on the page.
PII_LABELS = {
    "PERSON": _l("Name"),
    "PHONE": _l("Phone number"),
    "EMAIL": _l("E-mail address"),
    "ID_NUMBER": _l("ID or account number"),
    "ADDRESS_UNIT": _l("House or flat number"),
    "CAR_PLATE": _l("Number plate"),
    "CARD": _l("Bank card number"),
}
#: Typed placeholders in scrubbed text, e.g. [ИМЯ] or [PHONE].
PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,40}\]")


def highlight_spans(text: str, spans) -> Markup:
    """``text`` with every span wrapped in <mark>; every piece of text is escaped."""
    pieces: list[Markup] = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < position or span.end > len(text):
            continue  # overlapping or stale span: leave the text unmarked
        pieces.append(escape(text[position : span.start]))
        label = escape(str(PII_LABELS.get(span.type, span.type)))
        kind = escape(span.type.lower().replace("_", "-"))
        pieces.append(
            Markup('<mark class="pii pii-{}" title="{}">{}</mark>').format(
                kind, label, text[span.start : span.end]
            )
        )
        position = span.end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def highlight_placeholders(text: str) -> Markup:
    """Scrubbed text with its placeholders marked; the text itself is escaped."""
    pieces: list[Markup] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(Markup('<mark class="placeholder">{}</mark>').format(match.group()))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def _moderator() -> StaffUser:
    """The logged-in moderator, or 403."""
    user = current_user._get_current_object()
    try:
        ensure_can(user, "moderate")
    except Forbidden:
        abort(403)
    return user


def _read(call: Callable[..., Any], *args) -> Any:
    """Run a read helper, turning its refusals into HTTP errors."""
    try:
        return call(*args)
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)


def _page_number(schema: Schema) -> tuple[int, dict]:
    try:
        return schema.load(request.args.to_dict())["page"], {}
    except ValidationError as error:
        return 1, error_dict(error)


@bp.get("/moderation")
@login_required
def moderation_queue():
    """Submitted appeals waiting for a moderator, oldest first."""
    user = _moderator()
    page, errors = _page_number(ListPageSchema())
    queue = _read(service.appeal_queue, user, page)
    waiting_answers = _read(service.answer_queue, user, 1, 1).total
    return render_template(
        "staff/moderation_queue.html", queue=queue, errors=errors, waiting_answers=waiting_answers
    ), (400 if errors else 200)


def _render_case(appeal_id: int, user: StaffUser, form: dict, errors: dict, status: int = 200):
    case = _read(service.moderation_case, user, appeal_id)
    moved = (
        distance_m(case.exact_lat, case.exact_lon, case.masked.lat, case.masked.lon)
        if case.masked
        else None
    )
    return render_template(
        "staff/moderation_detail.html",
        case=case,
        raw_marked=highlight_spans(case.raw_text, case.spans),
        # once moderated, what was actually published (maybe the moderator's edit)
        scrubbed_marked=highlight_placeholders(case.appeal.public_text or case.scrubbed_text),
        moved_m=moved,
        form=form,
        errors=errors,
        reasons=REASONS,
        pii_labels=PII_LABELS,
        tile_url=current_app.config["TILE_URL"],
        tile_attribution=current_app.config["TILE_ATTRIBUTION"],
    ), status


@bp.route("/moderation/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def moderation_detail(appeal_id: int):
    """One appeal: raw and scrubbed text side by side, points, photos; publish or reject."""
    user = _moderator()
    if request.method == "GET":
        return _render_case(appeal_id, user, {}, {})
    form = request.form.to_dict()
    try:
        action = ACTIONS[DecisionSchema().load(form)["action"]]  # publish or reject
        appeal = action.perform(user, appeal_id, form)
    except ValidationError as error:
        return _render_case(appeal_id, user, form, error_dict(error), 400)
    except FINAL:
        raise  # the blueprint's error page (portal.staff.errors)
    except ServiceError as error:
        errors = error.errors or {"_schema": [error.message]}
        return _render_case(appeal_id, user, form, errors, error.status_code)
    flash(str(action.done) % {"id": appeal.public_id}, "success")
    return redirect(url_for("staff.moderation_queue"))


@bp.get("/moderation/answers")
@login_required
def moderation_answers():
    """Answers in which the scrubber found personal data, oldest first."""
    user = _moderator()
    page, errors = _page_number(ListPageSchema())
    queue = _read(service.answer_queue, user, page)
    return render_template("staff/moderation_answers.html", queue=queue, errors=errors), (
        400 if errors else 200
    )


def _render_answer(answer_id: int, user: StaffUser, form: dict, errors: dict, status: int = 200):
    case = _read(service.answer_case, user, answer_id)
    return render_template(
        "staff/moderation_answer.html",
        case=case,
        raw_marked=highlight_spans(case.raw_text, case.spans),
        scrubbed_marked=highlight_placeholders(case.scrubbed_text),
        form=form,
        errors=errors,
        pii_labels=PII_LABELS,
    ), status


@bp.route("/moderation/answers/<int:answer_id>", methods=["GET", "POST"])
@login_required
def moderation_answer(answer_id: int):
    """One flagged answer: raw and scrubbed text; approve (optionally edited)."""
    user = _moderator()
    if request.method == "GET":
        return _render_answer(answer_id, user, {}, {})
    form = request.form.to_dict()
    action = ACTIONS["approve_answer"]
    try:
        action.perform(user, answer_id, form)
    except ValidationError as error:
        return _render_answer(answer_id, user, form, error_dict(error), 400)
    except FINAL:
        raise  # the blueprint's error page (portal.staff.errors)
    except ServiceError as error:
        errors = error.errors or {"_schema": [error.message]}
        return _render_answer(answer_id, user, form, errors, error.status_code)
    flash(str(action.done), "success")
    return redirect(url_for("staff.moderation_answers"))


@bp.get("/moderation/photos/<public_id>")
@login_required
def moderation_photo(public_id: str):
    """A photo of an appeal in moderation (never cached by browsers or proxies)."""
    user = _moderator()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", public_id):
        abort(404)
    photo = _read(service.staff_photo, user, public_id)
    response = Response(photo.data, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response
