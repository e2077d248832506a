"""Public pages: home, appeals, the map, performance, privacy, health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

# Each module registers its routes on import.
from portal.public import feeds, performance, privacy, support, views  # noqa: E402,F401
