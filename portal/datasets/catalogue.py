"""The harvestable catalogues: DCAT-AP 3 at ``/datasets/catalog.jsonld`` and Project Open
Data v1.1 at ``/data.json`` (the site root, where harvesters look for it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from flask import Response, current_app, request, url_for
from sqlalchemy import func, literal, select

from opendata.dcat import CatalogueFacts, Place, SnapshotEntry, dcat_catalogue, pod_catalogue
from portal.datasets import bp
from portal.datasets.snapshots import list_snapshots
from portal.datasets.views import snapshot_dir
from portal.extensions import db
from portal.models import Appeal, City, utcnow
from portal.queries.map import data_as_of
from portal.queries.record import TABLES, published_appeals
from portal.versioned_cache import current_or_previous, namespace
from portal.workdays import BISHKEK

T = TypeVar("T")

#: Key prefix of the facts computed per version of the public record.
CACHE_PREFIX = "portal:datasets:v1"


def _per_version(name: str, produce: Callable[[], T]) -> T:
    """``produce()`` for the current version of the public record, its "data as of"
    (every public change appends a status event); after a change, the previous value
    while a thread computes the new one (``portal.versioned_cache``). The COUNT of every
    dataset takes seconds at 1M appeals, and /datasets/ and the catalogues are public
    pages."""

    def version() -> str:
        as_of = data_as_of()
        return as_of.isoformat() if as_of else "-"

    base = f"{namespace(CACHE_PREFIX)}:{name}"
    return current_or_previous(base, version, produce, thread_name=f"datasets-{name}")[1]


def _time_span() -> tuple[datetime | None, datetime | None]:
    first, last = db.session.execute(
        published_appeals(select(func.min(Appeal.submitted_at), func.max(Appeal.submitted_at)))
    ).one()
    return first, last


def catalogue_facts() -> CatalogueFacts:
    """The running portal's part of the catalogues: its cities, the published appeals' time
    span, the newest snapshot's files."""
    first, last = _per_version("span", _time_span)
    cities = db.session.scalars(select(City).order_by(City.code))
    snapshots = list_snapshots(snapshot_dir())
    newest = snapshots[0] if snapshots else None
    entries = ()
    if newest is not None:
        day = newest.day.isoformat()
        entries = tuple(
            SnapshotEntry(
                f.name,
                url_for("datasets.snapshot_file", day=day, name=f.name, _external=True),
                f.bytes,
                f.sha256,
            )  # fmt: skip
            for f in newest.files
        )
    return CatalogueFacts(
        base_url=request.host_url,
        contact_email=current_app.config["CONTACT_EMAIL"],
        places=tuple(Place(c.name_en, c.min_lat, c.max_lat, c.min_lon, c.max_lon) for c in cities),
        first=_local(first),
        last=_local(last),
        modified=utcnow().astimezone(BISHKEK),
        snapshot=entries,
    )


def dataset_rows() -> dict[str, int]:
    """Rows each dataset selected from the database publishes now (one COUNT each, per
    version of the public record)."""
    return _per_version("rows", _count_rows)


def _count_rows() -> dict[str, int]:
    counts = {}
    for name, table in TABLES.items():
        rows = table.source(select(literal(1).label("one"))).subquery()
        counts[name] = db.session.scalar(select(func.count()).select_from(rows))
    return counts


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BISHKEK)


def _json(document: dict, media_type: str) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return Response(body, content_type=f"{media_type}; charset=utf-8")


@bp.get("/catalog.jsonld")
def dcat():
    """DCAT-AP 3 in JSON-LD: every dataset with its downloads and snapshot files."""
    return _json(dcat_catalogue(catalogue_facts()), "application/ld+json")


def pod():
    """Project Open Data v1.1 ``data.json``."""
    return _json(pod_catalogue(catalogue_facts()), "application/json")


# /data.json belongs at the site root, outside the blueprint's /datasets prefix.
bp.record_once(lambda state: state.app.add_url_rule("/data.json", "datasets.pod", pod))
