"""POST /appeals/<public_id>/support: "this affects me too" (no account, one per browser).

The browser's random id lives in a long-lived, HttpOnly cookie; the use case stores only
its keyed hash. Rate-limited per client address (SUPPORT_RATE_LIMIT).
"""

from __future__ import annotations

import re
import secrets

from flask import current_app, redirect, request, url_for
from werkzeug.exceptions import Conflict, NotFound

from portal.extensions import limiter
from portal.public import bp
from portal.services.core import ServiceError
from portal.services.support import add_supporter
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


@bp.post("/appeals/<public_id>/support")
@limiter.limit(_support_limit)
@strict_query(respond=html_error_page)
def support(public_id: str):
    """Count this browser among the appeal's supporters, then back to the appeal page."""
    identity = browser_id() or secrets.token_urlsafe(32)
    try:
        add_supporter(public_id[:40], identity)
    except ServiceError as error:
        raise (NotFound if error.status_code == 404 else Conflict)(error.message) from None
    response = redirect(url_for("public.appeal_detail", public_id=public_id) + "#support", 303)
    response.set_cookie(
        COOKIE, identity, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
        secure=request.is_secure,
    )  # fmt: skip
    return response
