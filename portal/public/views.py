"""Routes of the public blueprint (thin: validate, query, render)."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from marshmallow import ValidationError

from portal.news.markup import render as render_news
from portal.public import bp
from portal.public.facts import appeal_facts
from portal.public.links import download_links, listing_twins
from portal.public.support import browser_id
from portal.queries import search
from portal.queries.appeals import (
    get_public_appeal,
    public_answers,
    public_photo_ids,
    public_timeline,
    recent_public_answers,
)
from portal.queries.map import data_as_of, headline, list_order, page_of_appeals, pages
from portal.queries.map_index_cache import warm_up
from portal.queries.news import latest_news
from portal.queries.reference import load_reference
from portal.queries.videos import answer_video_urls
from portal.schemas import error_dict
from portal.schemas.filters import (
    STATUS_CHOICES,
    AppealFilters,
    AppealFiltersSchema,
    parse_filters,
)
from portal.schemas.map import PageArgs, PageArgsSchema, parse_page
from portal.services.support import can_be_supported, supports
from portal.strict_args import html_error_page, strict_query

#: How many news items the home page shows.
HOME_NEWS = 3
#: Where the map opens without a city filter (Bishkek's centre) and at which zoom.
DEFAULT_VIEW = (42.8746, 74.6122, 12)


@bp.before_request
def warm_map_index() -> None:
    """A process's first public page starts building the map index in the background
    (downloads, the staff area and other blueprints do not)."""
    warm_up()


def _static(path: str) -> str:
    return url_for("static", filename=path)


def _filters() -> tuple[AppealFilters, dict[str, list[str]]]:
    """The shared filters of the query string, or no filter and the translated errors."""
    try:
        return parse_filters(request.args), {}
    except ValidationError as error:
        return AppealFilters(), error_dict(error)


def _start_view(filters: AppealFilters, ref) -> tuple[float, float, int]:
    if filters.city and filters.city in ref.cities:
        min_lon, min_lat, max_lon, max_lat = ref.cities[filters.city].extra["bbox"]
        return (min_lat + max_lat) / 2, (min_lon + max_lon) / 2, 12
    return DEFAULT_VIEW


def _map_context(filters: AppealFilters, errors: dict) -> dict:
    # With folium's branca: a worker serving only the API or downloads never draws a map.
    from portal import maps

    ref = load_reference()
    lat, lon, zoom = _start_view(filters, ref)
    parts = maps.viewport_map(
        lat=lat,
        lon=lon,
        zoom=zoom,
        tile_url=current_app.config["TILE_URL"],
        attribution=current_app.config["TILE_ATTRIBUTION"],
        static_url=_static,
    )
    return {
        "ref": ref,
        "filters": filters,
        "errors": errors,
        "statuses": STATUS_CHOICES,
        "map": parts,
        "twins": listing_twins(filters),
        "data_as_of": data_as_of(),
        "api_map": url_for("api.map_data"),
        "api_appeal": url_for("api.appeal_detail", public_id="ID"),
        "appeal_url": url_for("public.appeal_detail", public_id="ID"),
    }


@bp.get("/")
@strict_query(AppealFiltersSchema, respond=html_error_page)
def home():
    """The map, headline figures of the chosen city and the latest answers."""
    filters, errors = _filters()
    city_only = AppealFilters(city=filters.city)
    context = _map_context(filters, errors)
    return render_template(
        "public/home.html",
        **context,
        headline=headline(city_only),
        answers=recent_public_answers(limit=5, city=filters.city),
        news=latest_news(HOME_NEWS),
        render_news=render_news,
    ), (400 if errors else 200)


@bp.get("/map")
@strict_query(AppealFiltersSchema, respond=html_error_page)
def map_page():
    """The public map on its own (the same template as the home page's map)."""
    filters, errors = _filters()
    return render_template("public/map.html", **_map_context(filters, errors)), (
        400 if errors else 200
    )


@bp.get("/appeals")
@strict_query(AppealFiltersSchema, PageArgsSchema, respond=html_error_page)
def appeal_list():
    """Server-rendered, paginated list with the map's filters (works without JavaScript)."""
    filters, errors = _filters()
    try:
        paging = parse_page(
            request.args,
            default=current_app.config["PAGE_SIZE"],
            maximum=current_app.config["MAX_PAGE_SIZE"],
        )
    except ValidationError as error:
        errors = {**errors, **error_dict(error)}
        paging = PageArgs(page=1, per_page=current_app.config["PAGE_SIZE"])
    records, total = page_of_appeals(filters, page=paging.page, per_page=paging.per_page)
    return render_template(
        "public/appeals.html",
        ref=load_reference(),
        filters=filters,
        errors=errors,
        statuses=STATUS_CHOICES,
        appeals=records,
        total=total,
        order=list_order(filters),
        ranked_max=search.RANKED_MAX,
        page=paging.page,
        per_page=paging.per_page,
        pages=pages(total, paging.per_page),
        twins=listing_twins(filters, page=paging.page),
        data_as_of=data_as_of(),
    ), (400 if errors else 200)


@bp.get("/appeals/<public_id>")
@strict_query(respond=html_error_page)
def appeal_detail(public_id: str):
    """One published appeal: text, photos, facts, location, timeline, answers, rating."""
    appeal = get_public_appeal(public_id)
    if appeal is None:
        abort(404)
    location = None
    if appeal.lat is not None and appeal.lon is not None:
        from portal import maps

        location = maps.location_map(
            lat=appeal.lat,
            lon=appeal.lon,
            precision_m=appeal.location_precision_m,
            tile_url=current_app.config["TILE_URL"],
            attribution=current_app.config["TILE_ATTRIBUTION"],
            static_url=_static,
        )
    ref = load_reference()
    return render_template(
        "public/appeal.html",
        appeal=appeal,
        facts=appeal_facts(appeal, ref),
        timeline=public_timeline(public_id),
        answers=public_answers(public_id),
        photos=public_photo_ids(public_id),
        answer_videos=answer_video_urls(public_id),
        location=location,
        ref=ref,
        twins={
            "json": url_for("api.appeal_detail", public_id=public_id),
            "geojson": url_for("api.appeal_geojson", public_id=public_id),
            "atom": url_for("public.appeal_feed", public_id=public_id),
        },
        downloads=download_links(AppealFilters()),
        can_support=can_be_supported(appeal.status),
        supported=supports(public_id, browser_id()),
    )
