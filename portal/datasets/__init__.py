"""Open-data downloads, data package and data dictionary."""

from flask import Blueprint

bp = Blueprint("datasets", __name__, url_prefix="/datasets")

from portal.datasets import catalogue, views  # noqa: E402,F401  (routes register on import)
