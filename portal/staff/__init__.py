"""Staff area: moderation, service inbox, administration."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Each module registers its routes on import.
from portal.staff import clients, errors, moderation, views  # noqa: E402,F401
