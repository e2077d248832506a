"""Links between the twins of a public listing (HTML, JSON, CSV, GeoJSON) and its pages."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, url_for
from werkzeug.exceptions import HTTPException

from portal.schemas.filters import AppealFilters

#: The downloads of the appeals dataset (built by the datasets blueprint, same filters).
DOWNLOAD_PATHS = {"csv": "/datasets/appeals.csv", "geojson": "/datasets/appeals.geojson"}


def _path_exists(path: str) -> bool:
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return False
    return True


def with_args(path: str, args: dict[str, str]) -> str:
    return f"{path}?{urlencode(args)}" if args else path


def download_links(filters: AppealFilters) -> dict[str, str]:
    """URLs of the CSV/GeoJSON downloads of these filters (only those the portal serves)."""
    args = filters.query_args()
    return {
        fmt: with_args(path, args) for fmt, path in DOWNLOAD_PATHS.items() if _path_exists(path)
    }


def listing_twins(filters: AppealFilters, **extra) -> dict[str, str]:
    """The list page, its JSON API twin, the map view and the downloads of the same filters."""
    args = filters.query_args()
    return {
        "html": url_for("public.appeal_list", **args, **extra),
        "json": url_for("api.appeals_index", **args, **extra),
        "map": url_for("public.map_page", **args),
        "atom": url_for("public.appeals_feed", **args),
        **download_links(filters),
    }
