"""Citizens: submit an appeal, follow it, rate the answer."""

from flask import Blueprint

bp = Blueprint("citizen", __name__)

from portal.citizen import views  # noqa: E402,F401  (routes register on import)
