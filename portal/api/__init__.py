"""JSON API under /api (CSRF-exempt: it uses no cookies for authentication)."""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

# Each module registers its routes on import.
from portal.api import appeals, citizen, client, nearby, openapi, views  # noqa: E402,F401
