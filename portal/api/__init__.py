"""JSON API under /api/v1 (CSRF-exempt: it uses no cookies for authentication)."""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

from portal.api import views  # noqa: E402,F401  (routes register on import)
