"""API routes that belong to no particular feature."""

from flask import jsonify, url_for

from portal.api import bp


@bp.get("/v1/")
def index():
    """Entry point listing the API's resources."""
    return jsonify(
        name="Ачык Шаар open data API",
        version="1",
        health=url_for("health.healthz", _external=True),
    )
