"""Staff login and logout (Flask-Login; throttling in portal.services.login_throttle).

A browser that signs in gets a signed "recognised browser" cookie holding a random nonce
per account: its later attempts are counted against that nonce, not against its address,
so strangers failing at the same account or from the same office address never lock it
out (see portal.services.login_throttle).
"""

from __future__ import annotations

import secrets

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import ValidationError

from portal.extensions import limiter
from portal.schemas import error_dict
from portal.schemas.staff import LoginSchema, load
from portal.services.auth import (
    LoginFailed,
    LoginSource,
    LoginThrottled,
    authenticate,
    log_out,
)
from portal.services.login_throttle import subject_of
from portal.services.permissions import can
from portal.staff import bp

BROWSER_COOKIE = "staff_browser"
#: Accounts one browser is remembered for (the most recent ones).
BROWSER_ACCOUNTS = 5


def home_endpoint(user) -> str:
    """Where a staff member starts: the inbox, the moderation queue or administration."""
    if can(user, "view_inbox"):
        return "staff.inbox"
    if can(user, "administer") and "staff.admin_index" in current_app.view_functions:
        return "staff.admin_index"
    if can(user, "moderate") and "staff.moderation_queue" in current_app.view_functions:
        return "staff.moderation_queue"
    if can(user, "publish_news") and "staff.news_admin" in current_app.view_functions:
        return "staff.news_admin"
    return "staff.login"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _browser_key(email: str) -> str:
    return subject_of(email)[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="staff-browser")


def _known_browsers() -> dict[str, str]:
    """{account key: nonce} of this browser's valid recognised-browser cookie."""
    raw = request.cookies.get(BROWSER_COOKIE)
    if not raw:
        return {}
    max_age = current_app.config["LOGIN_BROWSER_DAYS"] * 86400
    try:
        known = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return {}
    return known if isinstance(known, dict) else {}


def _login_source(email: str) -> LoginSource:
    nonce = _known_browsers().get(_browser_key(email))
    return LoginSource(address=request.remote_addr or "", browser=nonce)


def _recognised_browser() -> bool:
    """The per-address limit spares browsers that signed in to this e-mail before."""
    return _login_source(request.form.get("email", "")).browser is not None


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login"))
    return redirect(url_for(home_endpoint(current_user)))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    methods=["POST"],
    deduct_when=lambda response: response.status_code != 302,  # count failures only
    exempt_when=_recognised_browser,
)
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for(home_endpoint(current_user)))
        return render_template(
            "staff/login.html", form={}, errors={}, next=request.args.get("next")
        )
    try:
        data = load(LoginSchema(), request.form)
        source = _login_source(data["email"])
        user = authenticate(data["email"], data["password"], source)
    except ValidationError as exc:
        return _login_form(error_dict(exc), status=400)
    except LoginThrottled as exc:
        return _login_form({"_schema": [exc.message]}, 429, {"Retry-After": str(exc.retry_after)})
    except LoginFailed as exc:
        return _login_form({"_schema": [exc.message]}, status=401)
    session.clear()  # a fresh session for the signed-in user
    login_user(user)
    response = redirect(data["next"] or url_for(home_endpoint(user)))
    _remember_browser(response, data["email"], source.browser)
    return response


def _login_form(errors: dict, status: int, headers: dict | None = None):
    form = {"email": request.form.get("email", "")}
    page = render_template(
        "staff/login.html", form=form, errors=errors, next=request.form.get("next")
    )
    return page, status, headers or {}


def _remember_browser(response, email: str, nonce: str | None) -> None:
    """(Re)issue the recognised-browser cookie with this account first."""
    known = {_browser_key(email): nonce or secrets.token_urlsafe(16)}
    for key, value in _known_browsers().items():
        if len(known) < BROWSER_ACCOUNTS:
            known.setdefault(key, value)
    response.set_cookie(
        BROWSER_COOKIE,
        _serializer().dumps(known),
        max_age=current_app.config["LOGIN_BROWSER_DAYS"] * 86400,
        path=url_for("staff.index"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


@bp.post("/logout")
def logout():
    """Sign out everywhere: every session of the account ends, not just this cookie."""
    if current_user.is_authenticated:
        log_out(current_user._get_current_object())
    logout_user()
    session.clear()
    return redirect(url_for("staff.login", logged_out=1))


@bp.context_processor
def staff_context():
    return {"staff_can": lambda action, appeal=None: can(current_user, action, appeal)}
