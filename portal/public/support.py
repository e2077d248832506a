""" "This affects me too" (no account, one per browser): POST /appeals/<public_id>/support,
and the confirmation link of a support given with an e-mail, /support/confirm/<token>.

The browser's random id lives in a long-lived, HttpOnly cookie; the use case stores only
its keyed hash. Rate-limited per client address (SUPPORT_RATE_LIMIT).
"""

from __future__ import annotations

import re
import secrets

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.exceptions import Conflict, NotFound

from portal.extensions import limiter
from portal.public import bp
from portal.schemas import error_dict
from portal.schemas.support import SupportSchema
from portal.services.core import ServiceError
from portal.services.support import add_supporter, confirm_support, pending_support, request_support
from portal.strict_args import html_error_page, strict_query

COOKIE = "supporter"
#: The cookie's value as this module writes it (anything else is replaced).
COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
COOKIE_DAYS = 365


def browser_id() -> str | None:
    """This browser's supporter id, if it has a well-formed one."""
    value = request.cookies.get(COOKIE, "")
    return value if COOKIE_VALUE.match(value) else None


def _support_limit() -> str:
    return current_app.config["SUPPORT_RATE_LIMIT"]


def _message(title: str, message: str, status: int = 200, **context):
    page = render_template("public/support_message.html", title=title, message=message, **context)
    return page, status


@bp.post("/appeals/<public_id>/support")
@limiter.limit(_support_limit)
@strict_query(respond=html_error_page)
def support(public_id: str):
    """Count this browser among the appeal's supporters, then back to the appeal page; with
    an e-mail, mail the link that counts it and say so."""
    try:
        email = SupportSchema().load(request.form)["email"]
    except ValidationError as error:
        details = [message for messages in error_dict(error).values() for message in messages]
        return render_template("error.html", code=400, message=details[0]), 400
    identity = browser_id() or secrets.token_urlsafe(32)
    try:
        if email:
            request_support(public_id[:40], identity, email, language=str(get_locale()))
        else:
            add_supporter(public_id[:40], identity)
    except ServiceError as error:
        raise (NotFound if error.status_code == 404 else Conflict)(error.message) from None
    if email:
        response = current_app.make_response(_message(_("Check your mailbox"), _(
            "If the address is right, a message with a confirmation link is on its way. "
            "You are counted once you confirm."), public_id=public_id))  # fmt: skip
    else:
        response = redirect(url_for("public.appeal_detail", public_id=public_id) + "#support", 303)
    response.set_cookie(
        COOKIE, identity, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
        secure=request.is_secure,
    )  # fmt: skip
    return response


@bp.get("/support/confirm/<token>")
@strict_query(respond=html_error_page)
def support_confirm_page(token: str):
    """A button, not an action: mail scanners that open links count nothing."""
    try:
        _pending, appeal = pending_support(token)
    except ServiceError as error:
        return _message(_("Not counted"), error.message, error.status_code)
    return _message(_("Confirm your support"), _(
        "Confirm that appeal %(id)s affects you too: you will be counted among its supporters.",
        id=appeal.public_id), public_id=appeal.public_id, confirm=True)  # fmt: skip


@bp.post("/support/confirm/<token>")
@strict_query(respond=html_error_page)
def support_confirm(token: str):
    """Count the supporter (once); a used, expired or unknown link changes nothing."""
    try:
        result = confirm_support(token)
    except ServiceError as error:
        return _message(_("Not counted"), error.message, error.status_code)
    return _message(_("Thank you"), _(
        "You are counted among the residents this appeal affects."),
        public_id=result.public_id)  # fmt: skip
