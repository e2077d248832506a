"""Service performance pages (/performance and its JSON/CSV twins, /performance/about).

Thin views: validate the query string, take the figures from
``portal.queries.performance`` (which takes them from ``opendata.stats``), render.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import orjson
from flask import Response, abort, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup
from marshmallow import ValidationError

from opendata import stats
from portal.models import utcnow
from portal.public import bp
from portal.queries.performance import PerformanceSet, performance_set
from portal.queries.performance_counts import (
    BREAKDOWNS,
    district_centres,
    figures_by,
)
from portal.queries.reference import load_reference
from portal.schemas import error_dict
from portal.schemas.performance import (
    CardQuerySchema,
    PerformanceQuery,
    PerformanceQuerySchema,
    parse_performance_query,
)
from portal.strict_args import html_error_page, strict_query
from portal.versioned_cache import cached_text
from portal.workdays import BISHKEK

LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
SOURCE = "Achyk Shaar (Open City): citizens' appeals to the city services of Bishkek and Osh"
#: Columns of the CSV twin, in order.
CSV_COLUMNS = (
    "group_by", "window_start", "window_end", "city", "service", "category", "district",
    "month", "suppressed", "too_few_ratings", "rank", *stats.FIGURES,
)  # fmt: skip
#: Groupings a page section shows, in page order.
PAGE_GROUPS = ("service", "service_month", "category", "district", "month", "category_district")
CACHE_SECONDS = 60


def _today():
    return utcnow().astimezone(BISHKEK).date()


def _parse(ref) -> PerformanceQuery:
    return parse_performance_query(
        request.args, today=_today(), cities=tuple(ref.cities), services=tuple(ref.services)
    )


def _twins(query: PerformanceQuery) -> dict:
    """Links between the HTML page, its JSON and CSV twins and the definitions page."""
    args = query.query_args(group="")
    return {
        "html": url_for("public.performance", **args),
        "json": url_for("public.performance_json", **args),
        "csv": {g: url_for("public.performance_csv", **args, group=g) for g in PAGE_GROUPS},
        "about": url_for("public.performance_about"),
    }


def _metadata(query: PerformanceQuery, result: PerformanceSet) -> dict:
    twins = _twins(query)
    absolute = request.host_url.rstrip("/")
    return {
        "window": {
            "start": query.window_start.isoformat(),
            "end": query.window_end.isoformat(),
            "time_zone": "Asia/Bishkek",
            "basis": "appeals submitted on the days of the window (inclusive)",
            "default": query.default_window,
        },
        "city": query.city,
        "service": query.service,
        "licence": LICENCE,
        "source": SOURCE,
        # Figures are recomputed on every new event: they include all data up to this time.
        "last_update": result.computed_at.isoformat(timespec="seconds"),
        "data_version": result.data_version,
        "rules": {"min_cell": stats.MIN_CELL, "min_ratings": stats.MIN_RATINGS},
        "definitions": stats.DEFINITIONS,
        "links": {
            "self": absolute + twins["json"],
            "html": absolute + twins["html"],
            "about": absolute + twins["about"],
            "csv": {g: absolute + url for g, url in twins["csv"].items()},
        },
    }


@bp.get("/performance")
@strict_query(PerformanceQuerySchema, respond=html_error_page)
def performance():
    """Figures per service, category, district and month for a stated window."""
    ref = load_reference()
    errors, status = {}, 200
    try:
        query = _parse(ref)
    except ValidationError as error:
        errors, status = error_dict(error), 400
        query = parse_performance_query({}, today=_today(), cities=tuple(ref.cities))
    result = performance_set(query.window_start, query.window_end, query.city, query.service)
    page = render_page(query, result, ref, errors, cached=True)
    return page, status


def render_page(query: PerformanceQuery, result: PerformanceSet, ref, errors: dict,
                cached: bool) -> str:  # fmt: skip
    """/performance as HTML; its figures section is kept next to the figures (``cached``)
    or rendered anew (the warm-up of a new process, ``portal.warmup``)."""
    context = {
        "query": query,
        "result": result,
        "ref": ref,
        "twins": _twins(query),
        "licence": LICENCE,
        "rules": {"min_cell": stats.MIN_CELL, "min_ratings": stats.MIN_RATINGS},
        "month_date": _month_date,
    }
    months = stats.month_starts(query.window_start, query.window_end)

    def figures() -> str:
        return render_template(
            "performance/_figures.html",
            months=[m.strftime("%Y-%m") for m in months],
            centres=district_centres(),
            **_breakdowns(query),
            **context,
        )

    key = f"{result.cache_key}:html:{get_locale()}"
    return render_template(
        "performance/index.html",
        figures=Markup(cached_text(key, figures) if cached else figures()),
        errors=errors,
        args=request.args,
        **context,
    )


@bp.get("/performance.json")
@strict_query(PerformanceQuerySchema)
def performance_json():
    """The page's figures as JSON (every grouping, or ``?group=`` for one)."""
    ref = load_reference()
    try:
        query = _parse(ref)
    except ValidationError as error:
        return Response(
            orjson.dumps({"errors": error_dict(error)}), 400, mimetype="application/json"
        )
    result = performance_set(query.window_start, query.window_end, query.city, query.service)
    groups = (query.group,) if query.group else stats.GROUPINGS

    def payload() -> str:
        data = _metadata(query, result)
        data["groups"] = {g: [row.as_dict() for row in result.groups[g]] for g in groups}
        data.update(_breakdowns(query))
        return orjson.dumps(data).decode()

    body = cached_text(f"{result.cache_key}:json:{query.group or '*'}:{request.host_url}", payload)
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.headers["Link"] = _link_header(query)
    return response


@bp.get("/performance.csv")
@strict_query(PerformanceQuerySchema)
def performance_csv():
    """One grouping (``?group=``, default service) as CSV (UTF-8, RFC 4180)."""
    ref = load_reference()
    try:
        query = _parse(ref)
    except ValidationError as error:
        return Response(
            orjson.dumps({"errors": error_dict(error)}), 400, mimetype="application/json"
        )
    group = query.group or "service"
    result = performance_set(query.window_start, query.window_end, query.city, query.service)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in result.groups[group]:
        values = row.as_dict()
        writer.writerow(_csv_value(values[column]) for column in CSV_COLUMNS)
    name = f"performance-{group}-{query.window_start}-{query.window_end}"
    if query.city:
        name += f"-{query.city}"
    if query.service:
        name += f"-{query.service}"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.headers["Link"] = _link_header(query)
    response.headers["Last-Modified"] = result.computed_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


@bp.get("/performance/about")
@strict_query(respond=html_error_page)
def performance_about():
    """How to read these figures: definitions and caveats."""
    return render_template(
        "performance/about.html",
        rules={"min_cell": stats.MIN_CELL, "min_ratings": stats.MIN_RATINGS},
        window=stats.default_window(_today()),
    )


@bp.get("/performance/services/<code>")
@strict_query(CardQuerySchema, respond=html_error_page)
def service_card(code: str):
    """A service's report card: the figures /performance shows for it, for a stated
    window (``from``/``to`` as on /performance; both cities, as /performance by default),
    with its trend, problem types, districts, kinds and links to the filtered datasets."""
    ref = load_reference()
    service = ref.services.get(code)
    if service is None:
        abort(404)
    args = {k: v for k, v in request.args.items() if k in ("from", "to")}
    try:
        query = parse_performance_query(
            {**args, "service": code}, today=_today(), cities=tuple(ref.cities),
            services=tuple(ref.services),
        )  # fmt: skip
    except ValidationError as error:
        return html_error_page(error)
    result = performance_set(query.window_start, query.window_end, None, code)
    rows = result.groups["service"]
    window = {"from": query.window_start.isoformat(), "to": query.window_end.isoformat()}
    links = _card_links(code, window)
    return render_template(
        "performance/card.html",
        service=service,
        code=code,
        row=rows[0] if rows else None,
        query=query,
        result=result,
        ref=ref,
        links=links,
        licence=LICENCE,
        rules={"min_cell": stats.MIN_CELL, "min_ratings": stats.MIN_RATINGS},
        month_date=_month_date,
        months=[
            m.strftime("%Y-%m") for m in stats.month_starts(query.window_start, query.window_end)
        ],
        kinds=figures_by("kind", query.window_start, query.window_end, None, code),
    )


def _card_links(code: str, window: dict[str, str]) -> dict:
    """Where a service's report card links to: its figures, downloads and datasets."""
    dataset_args = {"service": code, "date_from": window["from"], "date_to": window["to"]}
    return {
        "performance": url_for("public.performance", service=code, **window),
        "json": url_for("public.performance_json", service=code, **window),
        "csv": {
            g: url_for("public.performance_csv", service=code, group=g, **window)
            for g in ("service", "service_month", "category", "district")
        },
        "datasets": {
            name: {
                fmt: url_for("datasets.download", name=name, fmt=fmt, **dataset_args)
                for fmt in ("csv", "json")
            }
            for name in ("service_performance", "appeals")
        },
        "about": url_for("public.performance_about"),
        "self": url_for("public.service_card", code=code, **window),
    }


def _breakdowns(query: PerformanceQuery) -> dict[str, list[dict]]:
    """The window's appeals per value of each field of BREAKDOWNS (cached with the figures)."""
    window = (query.window_start, query.window_end, query.city, query.service)
    return {key: figures_by(name, *window) for key, name in BREAKDOWNS.items()}


def _month_date(month: str) -> date:
    """ "2026-03" -> date(2026, 3, 1), for month names in templates."""
    return date.fromisoformat(f"{month}-01")


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _link_header(query: PerformanceQuery) -> str:
    twins = _twins(query)
    return ", ".join(
        (
            f'<{twins["html"]}>; rel="alternate"; type="text/html"',
            f'<{twins["about"]}>; rel="describedby"; type="text/html"',
            f'<{LICENCE["url"]}>; rel="license"',
        )
    )
