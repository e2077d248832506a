"""Public read API: the map's viewport data, the appeals list, one appeal (JSON, GeoJSON)."""

from __future__ import annotations

from datetime import datetime

import orjson
from flask import Response, abort, current_app, request, url_for
from marshmallow import ValidationError

from opendata.records import AppealRecord
from opendata.schema import APPEALS
from portal.api import bp, responses
from portal.api.openapi import API_TAG, documented
from portal.models import utcnow
from portal.public.links import download_links, listing_twins
from portal.queries.appeals import (
    get_public_appeal,
    public_answers,
    public_photo_ids,
    public_timeline,
)
from portal.queries.map import (
    POINT_LIMIT,
    POINT_ZOOM,
    POINTS_BELOW,
    MapSettings,
    data_as_of,
    heat_view,
    list_order,
    map_view,
    page_of_appeals,
    pages,
    point_geometry,
)
from portal.schemas import error_dict
from portal.schemas.filters import parse_filters
from portal.schemas.map import (
    ListQueryDocSchema,
    MapQueryDocSchema,
    parse_map_query,
    parse_page,
)
from portal.strict_args import strict_query
from portal.templating import nav_link
from portal.workdays import local_iso

#: Seconds a map response may be cached by the browser (the index refreshes every few s).
MAP_CACHE_SECONDS = 15


def _json(payload, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(orjson.dumps(payload), status=status, mimetype=mimetype)


def _bad_request(error: ValidationError) -> Response:
    return _json({"errors": error_dict(error)}, status=400)


def _iso(value):
    """Datetimes in Bishkek time with the offset, as in the datasets; others unchanged."""
    return local_iso(value) if isinstance(value, datetime) else value


def appeal_json(record: AppealRecord, now: datetime) -> dict:
    """The published fields of an appeal (opendata.schema.APPEALS), plus overdue and links."""
    out = {spec.name: _iso(getattr(record, spec.attribute)) for spec in APPEALS.fields}
    out["overdue"] = record.is_overdue(now)
    out["links"] = {
        "html": url_for("public.appeal_detail", public_id=record.public_id, _external=True),
        "json": url_for("api.appeal_detail", public_id=record.public_id, _external=True),
        "geojson": url_for("api.appeal_geojson", public_id=record.public_id, _external=True),
    }
    return out


NOT_FOUND = ("No published appeal with this id.", responses.ApiError)
PUBLIC_ID = {"public_id": "Public id, e.g. BSK-2026-000123."}


@bp.get("/v1/map")
@documented(
    summary="Map data for a viewport: clusters, appeals or hot spots (GeoJSON)",
    tag=API_TAG,
    query=lambda ctx: MapQueryDocSchema(),
    blank_means_any=True,
    media="application/geo+json",
    responses={
        200: ("A GeoJSON FeatureCollection.", responses.FeatureCollection),
        400: ("Invalid input, field by field.", responses.FieldErrors),
    },
)
@strict_query(MapQueryDocSchema)
def map_data():
    """Clusters or appeals (GeoJSON) for a viewport: ?bbox=…&zoom=…&layer=appeals|heat&…"""
    try:
        query = parse_map_query(request.args)
    except ValidationError as error:
        return _bad_request(error)
    config = current_app.config
    slices = config.get("MAP_VIEW_SLICES", True)
    if query.layer == "heat":
        payload = heat_view(query.filters, zoom=query.zoom, slices=slices)
    else:
        settings = MapSettings(
            point_zoom=config.get("MAP_POINT_ZOOM", POINT_ZOOM),
            points_below=config.get("MAP_POINTS_BELOW", POINTS_BELOW),
            point_limit=config.get("MAP_POINT_LIMIT", POINT_LIMIT),
            slices=slices,
        )
        payload = map_view(query.filters, zoom=query.zoom, settings=settings)
    payload["meta"]["list"] = listing_twins(query.filters)["html"]
    payload["meta"]["data_as_of"] = _iso(data_as_of())
    response = _json(payload, mimetype="application/geo+json")
    response.headers["Cache-Control"] = f"public, max-age={MAP_CACHE_SECONDS}"
    return response


@bp.get("/v1/appeals")
@documented(
    summary="Published appeals, newest first, paginated",
    tag=API_TAG,
    query=lambda ctx: ListQueryDocSchema(),
    blank_means_any=True,
    responses={
        200: ("One page of appeals with paging links.", responses.AppealPage),
        400: ("Invalid input, field by field.", responses.FieldErrors),
    },
)
@strict_query(ListQueryDocSchema)
def appeals_index():
    """Published appeals matching the filters, newest first (most relevant first with
    ``q``), paginated with links."""
    try:
        filters = parse_filters(request.args)
        paging = parse_page(
            request.args,
            default=current_app.config["PAGE_SIZE"],
            maximum=current_app.config["MAX_PAGE_SIZE"],
        )
    except ValidationError as error:
        return _bad_request(error)
    now = utcnow()
    records, total = page_of_appeals(filters, page=paging.page, per_page=paging.per_page, now=now)
    last = pages(total, paging.per_page)
    args = filters.query_args()

    def page_url(number: int) -> str:
        return url_for(
            "api.appeals_index", **args, page=number, per_page=paging.per_page, _external=True
        )

    links = {
        "self": page_url(paging.page),
        "first": page_url(1),
        "last": page_url(last),
        "prev": page_url(paging.page - 1) if paging.page > 1 else None,
        "next": page_url(paging.page + 1) if paging.page < last else None,
        "html": url_for("public.appeal_list", **args, page=paging.page, _external=True),
        **{fmt: request.host_url.rstrip("/") + url for fmt, url in download_links(filters).items()},
    }
    return _json(
        {
            "total": total,
            "page": paging.page,
            "per_page": paging.per_page,
            "pages": last,
            "order": list_order(filters),
            "filters": args,
            "licence": "CC-BY-4.0",
            "data_as_of": _iso(data_as_of()),
            "links": links,
            "appeals": [appeal_json(record, now) for record in records],
        }
    )


def _found(public_id: str) -> AppealRecord:
    record = get_public_appeal(public_id)
    if record is None:
        abort(404)
    return record


@bp.get("/v1/appeals/<public_id>")
@documented(
    summary="One published appeal with its timeline, answers and photos",
    tag=API_TAG,
    path=PUBLIC_ID,
    responses={200: ("The appeal.", responses.AppealDetail), 404: NOT_FOUND},
)
@strict_query()
def appeal_detail(public_id: str):
    """One published appeal with its public timeline, answers and photos."""
    record = _found(public_id)
    out = appeal_json(record, utcnow())
    answers = public_answers(public_id)
    out["timeline"] = [
        {
            "kind": entry.kind,
            "at": _iso(entry.at),
            "service": entry.service,
            "to_service": entry.to_service,
            "note": entry.note,
        }
        for entry in public_timeline(public_id)
    ]
    out["answers"] = [
        {
            "round": answer.round,
            "service": answer.service,
            "created_at": _iso(answer.created_at),
            "text": answer.text,
            "in_moderation": answer.in_moderation,
            "rating": None
            if answer.score is None
            else {
                "score": answer.score,
                "solved": answer.solved,
                "reason": answer.reason,
                "comment": answer.comment,
            },
        }
        for answer in answers
    ]
    photo_urls = [nav_link("citizen.photo", public_id=p) for p in public_photo_ids(public_id)]
    out["photos"] = [request.host_url.rstrip("/") + url for url in photo_urls if url]
    return _json(out)


@bp.get("/v1/appeals/<public_id>.geojson")
@documented(
    summary="One published appeal as a GeoJSON Feature",
    tag=API_TAG,
    path=PUBLIC_ID,
    media="application/geo+json",
    responses={
        200: ("A GeoJSON Feature (no geometry for sensitive categories).", responses.Feature),
        404: NOT_FOUND,
    },
)
@strict_query()
def appeal_geojson(public_id: str):
    """One published appeal as a GeoJSON Feature (no geometry for sensitive categories)."""
    record = _found(public_id)
    properties = appeal_json(record, utcnow())
    for name in ("lat", "lon"):
        properties.pop(name, None)
    geometry = (
        point_geometry(lat=record.lat, lon=record.lon)
        if record.lat is not None and record.lon is not None
        else None
    )
    feature = {"type": "Feature", "id": record.public_id, "geometry": geometry}
    feature["properties"] = properties
    return _json(feature, mimetype="application/geo+json")
