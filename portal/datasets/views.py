"""Routes of the datasets blueprint: the datasets page, downloads, datapackage.json, the
data dictionary, the changelog and snapshot files.

Downloads: ``/datasets/<name>.<fmt>`` with ``fmt`` one of ``csv``, ``excel.csv`` (the same
CSV with a UTF-8 BOM for spreadsheet programs), ``geojson``, ``geojsonseq`` and ``json``;
they accept the shared filters of the map and the list (city, category, service, status,
district, date_from, date_to, overdue, bbox) and are streamed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flask import Response, abort, current_app, render_template, request, send_file, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from opendata import catalog, exports, schema
from portal.datasets import bp
from portal.datasets.snapshots import list_snapshots, snapshot_path
from portal.extensions import db
from portal.models import utcnow
from portal.queries.exports import (
    DOWNLOAD_BATCH_ROWS,
    performance_window,
    reference_enums,
    stream_rows,
)
from portal.queries.reference import load_reference
from portal.schemas import error_dict
from portal.schemas.filters import (
    AppealFiltersSchema,
    parse_filters,
    require_known_service,
    require_started_window,
)
from portal.strict_args import strict_query
from portal.workdays import BISHKEK

DATASET_NAMES = ", ".join(schema.DATASETS)
FORMAT_NAMES = ", ".join(exports.FORMATS)


@bp.context_processor
def _translate_variables() -> dict:
    """``tr(text)``: translate a msgid held in a variable (schema descriptions), without
    %-formatting it."""
    return {"tr": gettext}


def snapshot_dir() -> Path:
    """Where ``portal publish`` writes snapshots (SNAPSHOT_DIR, else instance/snapshots)."""
    configured = current_app.config.get("SNAPSHOT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "snapshots"


def local_today() -> date:
    return utcnow().astimezone(BISHKEK).date()


@bp.get("/")
def index():
    from portal.datasets.catalogue import catalogue_facts, dataset_rows
    from portal.queries.map import data_as_of

    snapshots = list_snapshots(snapshot_dir())
    newest = snapshots[0] if snapshots else None
    return render_template(
        "datasets/index.html",
        datasets=list(schema.DATASETS.values()),
        formats=exports.FORMATS,
        license=catalog.LICENSE,
        updated_at=data_as_of(),  # the same figure as every page's "data as of"
        snapshots=snapshots,
        newest_sizes={f.name: f.bytes for f in newest.files} if newest else {},
        rows=dataset_rows(),
        facts=catalogue_facts(),
        file_name=catalog.file_name,
        version=schema.SCHEMA_VERSION,
        performance_window=performance_window(parse_filters({})),
    )


@bp.get(f"/<any({DATASET_NAMES}):name>.<any({FORMAT_NAMES}):fmt>")
@strict_query(AppealFiltersSchema)
def download(name: str, fmt: str):
    """One dataset in one format, streamed, honouring the shared filters."""
    dataset = schema.dataset(name)
    spec = exports.FORMATS[fmt]
    if spec.geo and dataset.geometry is None:
        abort(404)
    try:
        filters = parse_filters(request.args)
        if name == schema.PERFORMANCE.name:
            require_started_window(filters, local_today())
            require_known_service(filters, load_reference().services)
    except ValidationError as error:
        return {"errors": error_dict(error)}, 400
    options = {}
    if name == "categories":
        options["default_deadline"] = current_app.config["DEFAULT_DEADLINE_DAYS"]
    batches = stream_rows(db.engine, name, filters, batch_rows=DOWNLOAD_BATCH_ROWS, **options)
    if name == schema.PERFORMANCE.name:
        batches = list(batches)  # small, and computed with the application's session
    body = exports.stream(fmt, dataset, (), batched=batches)
    first = next(body)  # run the query now: a failure is an error page, not a cut file
    response = Response(_prepend(first, body), content_type=spec.media_type)
    filename = f"{name}-{local_today().isoformat()}.{spec.suffix}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Link"] = f'<{url_for(".datapackage")}>; rel="describedby"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _prepend(first: bytes, rest):
    """``first`` then the rest of the stream; closing it (a dropped client) closes the query."""
    try:
        yield first
        yield from rest
    finally:
        rest.close()


@bp.get("/datapackage.json")
def datapackage():
    """The live data package: every download with its Table Schema (no sizes: they change)."""
    descriptor = catalog.datapackage(
        base_url=request.host_url.rstrip("/"),
        created=utcnow().astimezone(BISHKEK),
        enums=reference_enums(db.engine),
        path_prefix=url_for(".index", _external=True),
    )
    body = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    return Response(body, content_type="application/json; charset=utf-8")


@bp.get("/dictionary")
def dictionary():
    """The data dictionary, generated from the same schema as the files."""
    return render_template(
        "datasets/dictionary.html",
        entries=catalog.dictionary(reference_enums(db.engine)),
        version=schema.SCHEMA_VERSION,
        formula_starts=exports.FORMULA_STARTS,
    )


@bp.get("/changelog")
def changelog():
    return render_template("datasets/changelog.html", changelog=schema.CHANGELOG)


@bp.get("/snapshots/<day>/<name>")
def snapshot_file(day: str, name: str):
    """A file of a published snapshot (sent from disk, never built on request)."""
    path = snapshot_path(snapshot_dir(), day, name)
    if path is None:
        abort(404)
    fmt = name.split(".", 1)[1]  # appeals.excel.csv → excel.csv; datapackage.json → json
    media_type = exports.FORMATS[fmt].media_type if fmt in exports.FORMATS else "text/plain"
    download_name = name if name == "datapackage.json" else f"{day}-{name}"
    return send_file(path, mimetype=media_type, as_attachment=True, download_name=download_name,
                     max_age=86400)  # fmt: skip
