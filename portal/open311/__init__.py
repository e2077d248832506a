"""Open311 GeoReport v2 API."""

from flask import Blueprint

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

from portal.open311 import views  # noqa: E402,F401  (routes register on import)
