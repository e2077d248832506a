"""Request protection: CSRF, rate limits (memory or Redis), login manager, headers."""

from __future__ import annotations

from flask import Flask, Response

from portal.config import Settings
from portal.extensions import csrf, limiter, login_manager


def init_app(app: Flask, settings: Settings) -> None:
    """Wire CSRF, the limiter's storage and the login manager."""
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"

    @login_manager.user_loader
    def load_user(user_id: str):
        from portal.extensions import db
        from portal.models import StaffUser

        user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response
