"""Open311 GeoReport v2 API (CSRF-exempt: POST is authenticated by api_key, not cookies)."""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)

from portal.open311 import views  # noqa: E402,F401  (routes register on import)
