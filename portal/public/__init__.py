"""Public pages: home, appeals, the map, about pages, health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.public import views  # noqa: E402,F401  (routes register on import)
