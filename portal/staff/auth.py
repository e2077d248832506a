"""Staff login and logout (Flask-Login; per-client throttling by the limiter)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from marshmallow import ValidationError

from portal.extensions import limiter
from portal.schemas import error_dict
from portal.schemas.staff import LoginSchema, load
from portal.services.auth import LoginFailed, authenticate
from portal.services.permissions import can
from portal.staff import bp


def home_endpoint(user) -> str:
    """Where a staff member starts: the inbox, the moderation queue or administration."""
    if can(user, "view_inbox"):
        return "staff.inbox"
    if can(user, "administer") and "staff.admin_index" in current_app.view_functions:
        return "staff.admin_index"
    if can(user, "moderate") and "staff.moderation_queue" in current_app.view_functions:
        return "staff.moderation_queue"
    return "staff.login"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


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
        user = authenticate(data["email"], data["password"])
    except ValidationError as exc:
        return _login_form(error_dict(exc), status=400)
    except LoginFailed as exc:
        return _login_form({"_schema": [exc.message]}, status=401)
    session.clear()  # a fresh session for the signed-in user
    login_user(user)
    return redirect(data["next"] or url_for(home_endpoint(user)))


def _login_form(errors: dict, status: int):
    form = {"email": request.form.get("email", "")}
    return (
        render_template(
            "staff/login.html", form=form, errors=errors, next=request.form.get("next")
        ),
        status,
    )


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("staff.login", logged_out=1))


@bp.context_processor
def staff_context():
    return {"staff_can": lambda action, appeal=None: can(current_user, action, appeal)}
