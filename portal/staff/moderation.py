"""Moderation routes: submitted appeals, the texts the publication gate held, photos.

Thin views: decisions are staff actions (``portal.services.actions``: publish, reject,
publish_text, withhold_text), which authorize, validate and run
``portal.services.moderation``; ``portal.services.moderation_cases`` reads. Only moderators
and administrators get in (``ensure_can(user, "moderate")``).
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
from portal.schemas.moderation import (
    REASONS,
    TEXT_DECISIONS,
    DecisionSchema,
    ListPageSchema,
    TextDecisionSchema,
)
from portal.services import moderation_cases as cases
from portal.services.actions import ACTIONS
from portal.services.core import Forbidden, NotFound, ServiceError
from portal.services.permissions import ensure_can
from portal.services.publication import Screening
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
    "GEO_POINT": _l("Coordinates"),
}
#: What a residual risk (left in the text, not replaced) is called on the page.
RISK_LABEL = _l("Possible personal data, left in the text")
#: Why the scrubber doubts a span (opendata.anonymize.RiskSpan.reason).
RISK_REASONS = {
    "name_cue": _l("an unknown word right after a word that introduces a person"),
    "name_word": _l("a first name"),
    "digit_run": _l("a long run of digits"),
    "at_like": _l("something like an e-mail address"),
    "coordinate": _l("coordinates"),
    "mixed_script": _l("a word mixing Latin and Cyrillic letters"),
}
#: Typed placeholders in scrubbed text, e.g. [ИМЯ] or [PHONE].
PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,40}\]")


def _marks(screening: Screening) -> list[tuple[int, int, str, str]]:
    """(start, end, css class, title) of every replaced span and every residual risk."""
    marks = [
        (
            s.start,
            s.end,
            f"pii pii-{s.type.lower().replace('_', '-')}",
            PII_LABELS.get(s.type, s.type),
        )
        for s in screening.spans
    ]
    marks += [
        (r.start, r.end, "risk", f"{RISK_LABEL}: {RISK_REASONS.get(r.reason, r.reason)}")
        for r in screening.risks
    ]
    return sorted(marks, key=lambda mark: (mark[0], mark[1]))


def highlight(text: str, screening: Screening) -> Markup:
    """``text`` with what the scrubber replaced or doubts wrapped in <mark>; all escaped."""
    pieces: list[Markup] = []
    position = 0
    for start, end, css, title in _marks(screening):
        if start < position or end > len(text):
            continue  # overlapping or stale mark: leave the text unmarked
        pieces.append(escape(text[position:start]))
        pieces.append(
            Markup('<mark class="{}" title="{}">{}</mark>').format(css, str(title), text[start:end])
        )
        position = end
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
    queue = _read(cases.appeal_queue, user, page)
    waiting_texts = _read(cases.held_queue, user, 1, 1).total
    return render_template(
        "staff/moderation_queue.html", queue=queue, errors=errors, waiting_texts=waiting_texts
    ), (400 if errors else 200)


def _render_case(appeal_id: int, user: StaffUser, form: dict, errors: dict, status: int = 200):
    case = _read(cases.moderation_case, user, appeal_id)
    moved = (
        distance_m(case.exact_lat, case.exact_lon, case.masked.lat, case.masked.lon)
        if case.masked
        else None
    )
    # once moderated, what was actually published (maybe the moderator's edit)
    published = case.appeal.public_text or case.screening.text
    return render_template(
        "staff/moderation_detail.html",
        case=case,
        raw_marked=highlight(case.raw_text, case.screening),
        scrubbed_marked=highlight_placeholders(published) if published is not None else None,
        moved_m=moved,
        form=form,
        errors=errors,
        reasons=REASONS,
        pii_labels=PII_LABELS,
        risk_label=RISK_LABEL,
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


@bp.get("/moderation/texts")
@login_required
def moderation_texts():
    """Texts the publication gate held (any channel), oldest first."""
    user = _moderator()
    page, errors = _page_number(ListPageSchema())
    queue = _read(cases.held_queue, user, page)
    return render_template("staff/moderation_texts.html", queue=queue, errors=errors), (
        400 if errors else 200
    )


def _render_text(hold_id: int, user: StaffUser, form: dict, errors: dict, status: int = 200):
    case = _read(cases.held_case, user, hold_id)
    scrubbed = case.screening.text
    return render_template(
        "staff/moderation_text.html",
        case=case,
        hold=case.hold,
        raw_marked=highlight(case.hold.private_raw_text, case.screening),
        scrubbed_marked=highlight_placeholders(scrubbed) if scrubbed is not None else None,
        form=form,
        errors=errors,
        pii_labels=PII_LABELS,
        risk_label=RISK_LABEL,
    ), status


@bp.route("/moderation/texts/<int:hold_id>", methods=["GET", "POST"])
@login_required
def moderation_text(hold_id: int):
    """One held text: what was typed, with what the scrubber replaced and what it doubts;
    publish (optionally edited) or withhold."""
    user = _moderator()
    if request.method == "GET":
        return _render_text(hold_id, user, {}, {})
    form = request.form.to_dict()
    try:
        action = ACTIONS[TEXT_DECISIONS[TextDecisionSchema().load(form)["action"]]]
        action.perform(user, hold_id, form)
    except ValidationError as error:
        return _render_text(hold_id, user, form, error_dict(error), 400)
    except FINAL:
        raise  # the blueprint's error page (portal.staff.errors)
    except ServiceError as error:
        errors = error.errors or {"_schema": [error.message]}
        return _render_text(hold_id, user, form, errors, error.status_code)
    flash(str(action.done), "success")
    return redirect(url_for("staff.moderation_texts"))


@bp.get("/moderation/photos/<public_id>")
@login_required
def moderation_photo(public_id: str):
    """A photo of an appeal in moderation (never cached by browsers or proxies)."""
    user = _moderator()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", public_id):
        abort(404)
    photo = _read(cases.staff_photo, user, public_id)
    response = Response(photo.data, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response
