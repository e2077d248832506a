"""Request protection: CSRF, rate limits (memory or Redis), login manager, headers."""

from __future__ import annotations

from flask import Flask, Response

from portal import json_bodies
from portal.config import Settings
from portal.extensions import csrf, limiter, login_manager


def init_app(app: Flask, settings: Settings) -> None:
    """Wire CSRF, the limiter's storage and the login manager."""
    app.config["RATELIMIT_STORAGE_URI"] = settings.REDIS_URL or "memory://"
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"

    login_manager.user_loader(load_user)
    app.before_request(json_bodies.check_json_body)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response


def load_user(session_id: str):
    """The active account whose current session version the session carries, else None."""
    from portal.extensions import db
    from portal.models import StaffUser

    ident, _, version = session_id.partition(":")
    if not (ident.isdigit() and version.isdigit()):
        return None  # a session from before session versions, or garbage
    user = db.session.get(StaffUser, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
