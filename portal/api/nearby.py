"""GET /api/v1/appeals/nearby: duplicate suggestions for the submission form.

Open appeals of the chosen category within DUPLICATE_RADIUS_M of the chosen point,
submitted in the last DUPLICATE_WINDOW_DAYS days, nearest first — each as the public record
the rest of the API serves, plus its distance. Every parameter is required; any other is
refused (400).
"""

from __future__ import annotations

from flask import request, url_for
from marshmallow import ValidationError

from portal.api import bp, responses
from portal.api.appeals import _bad_request, _json, appeal_json
from portal.api.openapi import API_TAG, documented
from portal.models import utcnow
from portal.queries.nearby import DUPLICATE_RADIUS_M, DUPLICATE_WINDOW_DAYS, nearby_open_appeals
from portal.schemas.nearby import NearbyQuerySchema
from portal.strict_args import strict_query


@bp.get("/v1/appeals/nearby")
@documented(
    summary="Open appeals of a category near a point (duplicate suggestions for the form)",
    tag=API_TAG,
    query=lambda ctx: NearbyQuerySchema(),
    responses={
        200: ("Nearby open appeals, nearest first.", responses.NearbyAppeals),
        400: ("Invalid input, field by field.", responses.FieldErrors),
    },
)
@strict_query(NearbyQuerySchema)
def appeals_nearby():
    """Open appeals of ``category`` in ``city`` near (``lat``, ``lon``), nearest first."""
    try:
        query = NearbyQuerySchema().load(request.args)
    except ValidationError as error:
        return _bad_request(error)
    now = utcnow()
    suggestions = nearby_open_appeals(query, now=now)
    appeals = []
    for suggestion in suggestions:
        out = appeal_json(suggestion.record, now)
        out["distance_m"] = suggestion.distance_m
        out["links"]["support"] = url_for(
            "public.support", public_id=suggestion.record.public_id, _external=True
        )
        appeals.append(out)
    response = _json(
        {"radius_m": DUPLICATE_RADIUS_M, "window_days": DUPLICATE_WINDOW_DAYS, "appeals": appeals}
    )
    response.headers["Cache-Control"] = "no-store"
    return response
