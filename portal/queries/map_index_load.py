"""Building the map index from the database: one SELECT of public columns.

Rows are streamed from the database into a numpy structured array, chunk by chunk,
and are then sorted newest first and grouped by published point (``location``).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Integer,
    String,
    case,
    cast,
    extract,
    func,
    select,
    type_coerce,
)

from portal.models import (
    PUBLIC_STATUSES,
    Appeal,
    Category,
    City,
    District,
    Service,
    StatusEvent,
    utcnow,
)
from portal.queries.map_index import (
    KIND_CODES,
    MARKER_CLASSES,
    NEVER,
    OPEN_CODES,
    PIXEL_BITS,
    STATUS_CLASS_TABLE,
    STATUS_CODES,
    PointIndex,
    mercator,
)
from portal.queries.record import APPEAL


def data_version(conn) -> tuple:
    """Two primary-key lookups that change whenever an appeal is added or transitions.

    Every change of what the index holds (status, deadline, service, published point)
    is a transition and so appends a status event; appeals are never deleted (a
    withdrawn appeal is a tombstone, also an event).
    """
    appeal = conn.execute(select(func.max(Appeal.id))).scalar()
    event = conn.execute(select(func.max(StatusEvent.id))).scalar()
    return (appeal, event)


def _epoch(column, dialect: str):
    """Seconds since the epoch of a UTC datetime column, computed by the database."""
    raw = type_coerce(column, DateTime)
    if dialect == "sqlite":
        import sqlite3

        if sqlite3.sqlite_version_info >= (3, 38):
            return func.unixepoch(raw)
        return cast(func.strftime("%s", raw), Integer)
    return cast(extract("epoch", raw), BigInteger)


def _codes(conn) -> dict[str, dict[int, str]]:
    """Foreign key id -> public code, per kind (city slug, district slug, …)."""
    codes: dict[str, dict[int, str]] = {}
    for name, id_column in (
        ("city", City.id),
        ("district", District.id),
        ("category", Category.id),
        ("service", Service.id),
    ):  # the code is the record's field of that name (portal.queries.record)
        codes[name] = dict(conn.execute(select(id_column, APPEAL.columns[name])).all())
    return codes


def _numbered(ids: np.ndarray, codes: dict[int, str]) -> tuple[np.ndarray, list[str]]:
    """Foreign keys -> numbers of their public codes (the same code in two cities: one)."""
    names = sorted(set(codes.values()))
    lookup = np.full(max(codes, default=0) + 2, -1, dtype=np.int16)
    for row_id, code in codes.items():
        lookup[row_id] = names.index(code)
    safe = np.where((ids >= 0) & (ids < lookup.size), ids, lookup.size - 1)
    return lookup[safe], names


#: One row of the index as the database returns it (all numbers but the public id).
ROW = np.dtype(
    [
        ("id", "i8"),
        ("lat", "f8"),
        ("lon", "f8"),
        ("city", "i4"),
        ("district", "i4"),
        ("category", "i4"),
        ("service", "i4"),
        ("status", "i1"),
        ("submitted", "i8"),
        ("due", "i8"),
        ("published", "i8"),
        ("score", "i1"),
        ("on_time", "i1"),
        ("precision", "i2"),
        ("first_answer", "i8"),
        ("public_id", "S20"),
        ("appeal_kind", "i1"),
    ]
)
NO_POINT = 1000.0  # stands for NULL coordinates in the SELECT (NaN in the index)
#: Rows per fetch of a build: a list of tuples each before numpy packs them (at 1M appeals
#: on PostgreSQL, 50,000 left a worker ~80 MB larger for good).
FETCH_ROWS = 10_000


def index_query(dialect: str, public_only: bool = True):
    """The single SELECT the index is built from: fields of the public record of public
    appeals, by name (of every appeal with ``public_only=False``: the others get status
    number -1), with the row's id and reference keys, which the index numbers."""
    field = APPEAL.columns
    status_number = case(
        {code: number for number, code in enumerate(STATUS_CODES)},
        value=type_coerce(field["status"], String),
        else_=-1,
    )
    on_time = field["on_time"]
    kind_number = case(
        {code: number for number, code in enumerate(KIND_CODES)},
        value=type_coerce(field["kind"], String),
        else_=0,
    )
    query = select(
        Appeal.id,
        func.coalesce(field["lat"], NO_POINT),
        func.coalesce(field["lon"], NO_POINT),
        Appeal.city_id,
        func.coalesce(Appeal.district_id, -1),
        Appeal.category_id,
        Appeal.service_id,
        status_number,
        _epoch(field["submitted_at"], dialect),
        _epoch(field["due_at"], dialect),
        func.coalesce(_epoch(field["published_at"], dialect), 0),
        func.coalesce(field["rating_score"], 0),
        case((on_time.is_(None), -1), (on_time, 1), else_=0),
        func.coalesce(field["location_precision_m"], 0),
        func.coalesce(_epoch(field["first_answer_at"], dialect), -1),
        field["id"],
        kind_number,
    ).select_from(Appeal)
    return query.where(field["status"].in_(PUBLIC_STATUSES)) if public_only else query


def build_index(engine: Engine) -> PointIndex:
    """Load every public appeal's map columns (one SELECT of public columns).

    Rows are streamed into a numpy structured array, ``FETCH_ROWS`` at a time.
    """
    with engine.connect() as conn:
        version = data_version(conn)
        codes = _codes(conn)
        table = _fetch(conn, index_query(engine.dialect.name))
    base, names = _base_columns(table, codes)
    return _finish(base, names, version, codes)


#: Re-read appeals of the last events before the previous version too: an event whose id
#: was allocated earlier may have been committed after a later one was seen.
EVENT_MARGIN = 1000
#: Above this many changed appeals (or a tenth of the index) a refresh reloads everything.
MAX_CHANGED = 50_000


def refresh_index(engine: Engine, old: PointIndex) -> PointIndex:
    """The index after the changes since ``old`` was read: only the appeals that were
    added or had an event since are read again (everything when too many changed)."""
    with engine.connect() as conn:
        version = data_version(conn)
        if version == old.version:
            return old
        codes = _codes(conn)
        last_appeal, last_event = (v or 0 for v in old.version)
        changed = select(StatusEvent.appeal_id).where(StatusEvent.id > last_event - EVENT_MARGIN)
        added = select(Appeal.id).where(Appeal.id > last_appeal)
        ids = sorted(set(conn.execute(changed.union(added)).scalars()))
        if codes != old.fk_codes or len(ids) > max(MAX_CHANGED, old.size // 10):
            table = _fetch(conn, index_query(engine.dialect.name))
            base, names = _base_columns(table, codes)
            return _finish(base, names, version, codes)
        parts = [
            _fetch(conn, index_query(engine.dialect.name, public_only=False).where(
                Appeal.id.in_(ids[i : i + 5000])
            ))
            for i in range(0, len(ids), 5000)
        ]  # fmt: skip
    table = np.concatenate(parts) if parts else np.zeros(0, dtype=ROW)
    table = table[table["status"] >= 0]  # no longer public: dropped
    fresh, names = _base_columns(table, codes)
    keep = ~np.isin(old.ids, np.asarray(ids, dtype=np.int64))
    merged = {
        name: np.concatenate((getattr(old, name)[keep], fresh[name])) for name in BASE_COLUMNS
    }
    return _finish(merged, names, version, codes)


def _fetch(conn, query) -> np.ndarray:
    """The rows of ``query``, ``FETCH_ROWS`` at a time from the driver's own cursor (no
    SQLAlchemy row objects: they made a build at 1M appeals 2 s slower). On PostgreSQL a
    server-side cursor: psycopg's default one takes the whole result into libpq's memory
    first (~400 MB at 1M appeals, which the process then kept). Values are inline, as in
    ``portal.queries.exports.compiled_sql``, whose NOT INDEXED would make a refresh's
    lookups by id scan the whole table."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver = conn.connection.driver_connection
    server_side = conn.dialect.name == "postgresql"
    cursor = driver.cursor(name="map_index") if server_side else driver.cursor()
    chunks = []
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.array(rows, dtype=ROW))
    finally:
        cursor.close()
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=ROW)


#: Columns read from the database (derived ones are computed by ``_finish``).
BASE_COLUMNS = (
    "ids", "published", "lat", "lon", "city", "district", "category", "service", "status",
    "submitted", "due", "score", "on_time", "public_id", "precision", "first_answer",
    "appeal_kind",
)  # fmt: skip


def _base_columns(table: np.ndarray, codes: dict) -> tuple[dict, dict]:
    """The index's stored columns of fetched rows, codes numbered; and the code names."""
    has_point = table["lat"] != NO_POINT
    numbered = {
        kind: _numbered(np.ascontiguousarray(table[kind]), codes[kind])
        for kind in ("city", "district", "category", "service")
    }
    base = {
        name: np.ascontiguousarray(table[name])
        for name in ("published", "status", "submitted", "due", "score", "on_time",
                     "public_id", "precision", "first_answer", "appeal_kind")
    }  # fmt: skip
    base.update(
        ids=np.ascontiguousarray(table["id"]),
        lat=np.where(has_point, table["lat"], np.nan),
        lon=np.where(has_point, table["lon"], np.nan),
        **{kind: numbers for kind, (numbers, _) in numbered.items()},
    )
    return base, {kind: names for kind, (_, names) in numbered.items()}


#: Columns kept again in spatial order (PointIndex.s_*, with s_key and s_open): those
#: the map's filters read.
SPATIAL_COLUMNS = (
    "city", "district", "category", "service", "status", "appeal_kind", "submitted", "open_due",
)  # fmt: skip


def _finish(base: dict, names: dict, version: tuple, codes: dict) -> PointIndex:
    """Sort newest first; derive classes, deadlines, locations and the spatial order."""
    order = np.lexsort((-base["ids"], -base["published"]))  # newest first, then highest id
    base = {name: values[order] for name, values in base.items()}
    lat, lon, status = base["lat"], base["lon"], base["status"]
    has_point = ~np.isnan(lat)
    x, y = mercator(lat=np.where(has_point, lat, 0.0), lon=np.where(has_point, lon, 0.0))
    scale = float(2**PIXEL_BITS)
    px = np.clip(x * scale, 0, scale - 1).astype(np.uint32)
    py = np.clip(y * scale, 0, scale - 1).astype(np.uint32)
    located = np.flatnonzero(has_point)
    point_keys = (px[located].astype(np.uint64) << np.uint64(32)) | py[located]
    unique, first, inverse = np.unique(point_keys, return_index=True, return_inverse=True)
    loc = np.full(lat.size, -1, dtype=np.int32)
    loc[located] = inverse
    loc_start = np.zeros(unique.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(inverse, minlength=unique.size), out=loc_start[1:])
    derived = dict(
        base_class=STATUS_CLASS_TABLE[np.clip(status, 0, len(STATUS_CODES) - 1)],
        open_due=np.where(np.isin(status, OPEN_CODES), base["due"], NEVER),
        loc=loc,
    )
    # By location, then base class: the spatial order's keys (s_key) ascend.
    by_loc = located[np.lexsort((derived["base_class"][located], inverse))]
    without_point = np.flatnonzero(~has_point)
    rows = np.concatenate((by_loc, without_point))  # positions of the spatial order's rows
    columns = {**base, **derived}
    spatial = {f"s_{name}": columns[name][rows] for name in SPATIAL_COLUMNS}
    spatial["s_key"] = loc[rows] * np.int64(len(MARKER_CLASSES)) + derived["base_class"][rows]
    spatial["s_open"] = np.flatnonzero(derived["open_due"][rows] < NEVER)
    keys = np.arange(unique.size * len(MARKER_CLASSES) + 1)
    spatial["key_start"] = np.searchsorted(spatial["s_key"][: by_loc.size], keys)
    return PointIndex(
        version=version,
        built_at=utcnow(),
        has_point=has_point,
        **derived,
        names=names,
        fk_codes=codes,
        loc_lat=lat[located][first],
        loc_lon=lon[located][first],
        loc_px=px[located][first],
        loc_py=py[located][first],
        by_loc=by_loc,
        loc_start=loc_start,
        without_point=without_point,
        **spatial,
        **base,
    )
