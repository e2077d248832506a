"""API routes that belong to no particular feature."""

from flask import jsonify, url_for

from portal.api import bp, responses
from portal.api.openapi import API_TAG, documented
from portal.strict_args import strict_query


@bp.get("/v1/")
@documented(
    summary="Entry point of the API",
    tag=API_TAG,
    responses={200: ("Name, version and links.", responses.ApiIndex)},
)
@strict_query()
def index():
    """Entry point listing the API's resources."""
    return jsonify(
        name="Ачык Шаар open data API",
        version="1",
        health=url_for("health.healthz", _external=True),
    )
