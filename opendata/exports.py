"""Streaming writers of the open datasets: CSV, GeoJSON, GeoJSONSeq and JSON.

Every writer takes an iterable of rows — tuples (or SQL rows) whose values are in the
order of ``Dataset.fields`` (see :mod:`opendata.schema`) — and yields ``bytes`` chunks of
about ``CHUNK_BYTES``, so that a download of a million appeals runs in constant memory.
Values are plain: ``str``, ``int``, ``float``, ``bool`` (or 0/1), ``datetime`` or None.

Conventions (the same in every format):

* Datetimes are ISO 8601 in Asia/Bishkek time with the offset, e.g.
  ``2026-03-01T14:05:00+06:00``. A naive datetime, or a string as SQLite stores it
  (``YYYY-MM-DD HH:MM:SS[.ffffff]``), is taken as UTC. Seconds are the finest unit.
* Missing values: an empty CSV cell; ``null`` in JSON and GeoJSON (never "").
* CSV follows RFC 4180: UTF-8 (no BOM; the ``excel.csv`` variant starts with a BOM so that
  spreadsheet programs detect UTF-8), a header row, CRLF line ends, fields with a comma,
  quote or line break quoted. Booleans are ``true``/``false``.
* CSV formula injection (OWASP): a free-text cell (``Field.free_text``) that begins with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe ``'``,
  so that a spreadsheet shows it as text instead of running it. JSON and GeoJSON carry
  every text unchanged.
* GeoJSON follows RFC 7946: ``[lon, lat]`` (this module is the only place that writes
  that order), no ``crs`` member, the feature ``id`` is the record's primary key;
  coordinates as given (the masking gate, ``opendata.geomask``, rounds them to 6 decimals);
  features without a published point have ``"geometry": null``.
* GeoJSONSeq follows RFC 8142: each feature is preceded by RS (0x1E) and ends with LF.

Speed: each writer compiles one converter per dataset (see RowConverter) and, where it is
built, renders SQLite's datetime text with the C module ``opendata._localtime``; without it
the same bytes come from a per-hour cache in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

import orjson

from opendata.schema import Dataset

try:  # C rendering of SQLite's UTC text (opendata/_localtime.c), built on install
    from opendata._localtime import FixedOffset
except ImportError:  # not built (no C compiler): the per-hour cache below does the work
    FixedOffset = None

TIMEZONE = ZoneInfo("Asia/Bishkek")
#: The size streamed downloads aim for per chunk.
CHUNK_BYTES = 64 * 1024
#: Rows encoded at a time. A piece of 100 rows (50–100 KB) stays below glibc's mmap
#: threshold (128 KiB), so its buffers are reused; pieces of 1,000 rows were mapped and
#: unmapped again for every batch, and those page faults cost more CPU than the encoding
#: itself (GeoJSON twice as slow).
PIECE_ROWS = 100
BOM = "\ufeff".encode()
RS = b"\x1e"
#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Values --------------------------------------------------------------------------------


class _OffsetChanged(ValueError):
    """A value falls in an hour whose UTC offset differs from the inlined one."""


class _LocalHours(dict):
    """UTC hour "YYYY-MM-DD HH" → local "YYYY-MM-DDTHH", filled on demand.

    Row converters inline ``f"{H[v[:13]]}{v[13:19]}+06:00"`` (minutes and seconds copied).
    Only hours wholly in ``offset`` are cached: an hour that starts or ends in another
    offset (Bishkek's clocks changed at half past in 1997–2005) raises _OffsetChanged, and
    the caller falls back to the exact conversion.
    """

    def __init__(self, tz: ZoneInfo, offset: str) -> None:
        super().__init__()
        self.tz, self.offset = tz, offset

    def __missing__(self, key: str) -> str:
        start = datetime.fromisoformat(key + ":00:00").replace(tzinfo=UTC)
        stamp = start.astimezone(self.tz).isoformat(timespec="seconds")  # …T14:00:00+06:00
        end = (start + timedelta(seconds=3599)).astimezone(self.tz).isoformat()
        if stamp[19:] != self.offset or end[19:] != self.offset:
            raise _OffsetChanged(key)
        if len(self) > 100_000:
            self.clear()
        self[key] = prefix = stamp[:13]
        return prefix


@lru_cache(maxsize=8)
def offset_span(tz: ZoneInfo, today: date) -> tuple[datetime, datetime]:
    """The UTC span [since, until) around ``today`` in which ``tz`` keeps today's offset.

    Probed day by day (clock changes lie months apart), at most 50 years back and 5 years
    ahead, then bisected to the second at each end.
    """
    noon = int(datetime(today.year, today.month, today.day, 12, tzinfo=UTC).timestamp())
    offset = datetime.fromtimestamp(noon, tz).utcoffset()

    def same(second: int) -> bool:
        return datetime.fromtimestamp(second, tz).utcoffset() == offset

    def edge(step: int, days: int) -> int:
        """The first second (walking by ``step``) with another offset, or the limit."""
        inside = noon
        for _ in range(days):
            if not same(inside + step):
                break
            inside += step
        else:
            return inside
        outside = inside + step
        while abs(outside - inside) > 1:
            middle = (inside + outside) // 2
            inside, outside = (middle, outside) if same(middle) else (inside, middle)
        return outside

    day = 86_400
    since, until = edge(-day, 50 * 366) + 1, edge(day, 5 * 366)
    return datetime.fromtimestamp(since, UTC), datetime.fromtimestamp(until, UTC)


def _utc_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class LocalTime:
    """UTC instants → ISO 8601 local time with offset (e.g. ``2026-03-01T14:05:00+06:00``).

    Accepts aware datetimes, naive ones (UTC) and strings as SQLite stores them
    (``YYYY-MM-DD HH:MM:SS[.ffffff]``, UTC). For such strings the row converters inline a
    faster path: ``text`` (the C renderer, for instants in today's offset) when it is
    built, else ``hours`` (the per-hour cache).
    """

    def __init__(self, tz: ZoneInfo = TIMEZONE) -> None:
        self.tz = tz
        now = datetime.now(tz)
        self.offset = now.isoformat(timespec="seconds")[19:]
        self.hours = _LocalHours(tz, self.offset)
        self.text = None
        minutes, seconds = divmod(int(now.utcoffset().total_seconds()), 60)
        if FixedOffset is not None and not seconds:
            since, until = offset_span(tz, now.date())
            self.text = FixedOffset(minutes, self.offset, _utc_text(since), _utc_text(until))

    def __call__(self, value: datetime | str | None) -> str | None:
        if value is None:
            return None
        if value.__class__ is str:
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.tz).isoformat(timespec="seconds")


def csv_cell(value: object) -> str:
    """A value as one RFC 4180 cell, exactly as ``csv.writer`` (QUOTE_MINIMAL) writes it.

    Quoted, with quotes doubled, only when it holds a comma, a quote or a line break;
    None is an empty cell.
    """
    if value is None:
        return ""
    if value.__class__ is not str:
        value = str(value)
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_free_text(value: str | None) -> str:
    """A free-text cell: the formula guard, then RFC 4180 quoting."""
    if value.__class__ is str and value.startswith(FORMULA_STARTS):
        value = "'" + value
    return csv_cell(value)


# --- Row converters (generated per dataset and format: one call per row) -----------------

_CSV_BOOL = {True: "true", False: "false", None: ""}
_JSON_BOOL = {True: True, False: False, None: None}


def _cells(dataset: Dataset, *, for_csv: bool, times: str, local: LocalTime) -> list[str]:
    """Python expressions giving each field's output value from the row's values, which
    the converter has unpacked into the locals ``r0``, ``r1``… (see _compile).

    For CSV each expression gives the finished cell text; they contain no double quote, so
    that they fit in the one f-string that makes the line. ``times`` says how datetimes
    arrive: "local" (already ISO 8601 local time with offset, e.g. formatted by PostgreSQL:
    passed through), "text" (UTC strings, as SQLite stores them), "naive" (naive UTC
    datetimes, as PostgreSQL returns them) — both inlined through the per-hour cache — or
    "any" (the general conversion, e.g. for aware datetimes).
    """
    empty = "''" if for_csv else "None"
    offset = local.offset
    out = []
    for index, spec in enumerate(dataset.fields):
        v = cell = f"r{index}"
        if spec.type == "datetime":
            if times == "local":  # already local ISO 8601 (formatted by the database)
                cell = f"({v} if {v} is not None else {empty})"
            elif times == "text" and local.text is not None:
                cell = f"(T({v}) if {v} else {empty})"
            elif times == "text":
                cell = f"(f'{{H[{v}[:13]]}}{{{v}[13:19]}}{offset}' if {v} else {empty})"
            elif times == "naive":  # str() of a naive datetime: "YYYY-MM-DD HH:MM:SS[.f]"
                cell = (
                    f"(f'{{H[(t := str({v}))[:13]]}}{{t[13:19]}}{offset}' "
                    f"if {v} is not None else {empty})"
                )
            else:
                cell = f"(iso({v}) if {v} is not None else {empty})"
        elif spec.type == "boolean":
            cell = f"{'CB' if for_csv else 'JB'}[{cell}]"
        elif for_csv and spec.type == "string":
            cell = f"{'CF' if spec.free_text else 'CC'}({cell})"
        elif for_csv:  # numbers, dates and months: their str(), which needs no quoting
            cell = f"('' if {v} is None else {v})"
        # Numbers are written as stored: masked coordinates are rounded to 6 decimals at
        # the one gate that sets them (opendata.geomask), so rounding again (about 3,000
        # CPU instructions per round()) would only slow every GeoJSON download down.
        out.append(cell)
    return out


def _compile(body: str, width: int, times: LocalTime) -> Callable[[Sequence], object]:
    """``def convert(r)`` returning ``body``, for rows of ``width`` values.

    The row is unpacked into locals in one step, and the helpers are bound as defaults
    (fast locals, not globals): that saves a tenth of a GeoJSON feature's conversion.
    """
    helpers = {
        "H": times.hours, "T": times.text, "iso": times, "CB": _CSV_BOOL, "JB": _JSON_BOOL,
        "CC": csv_cell, "CF": csv_free_text,
    }  # fmt: skip
    signature = ", ".join(["r", *(f"{name}={name}" for name in helpers)])
    values = "".join(f"r{index}, " for index in range(width))
    source = f"def convert({signature}):\n    ({values}) = r\n    return {body}\n"
    namespace = dict(helpers)
    exec(compile(source, "<opendata.exports>", "exec"), namespace)  # noqa: S102
    return namespace["convert"]


def _time_kind(dataset: Dataset, rows: Sequence[Sequence]) -> str:
    """How the datetimes in these rows arrive: "text", "naive" or "any" (see _cells)."""
    columns = [i for i, spec in enumerate(dataset.fields) if spec.type == "datetime"]
    for row in rows:
        for index in columns:
            value = row[index]
            if value is None:
                continue
            if value.__class__ is str:
                if len(value) == 25 and value[10] == "T" and value[19] in "+-":
                    return "local"
                return "text" if len(value) >= 19 else "any"
            if value.__class__ is datetime and value.tzinfo is None:
                return "naive"
            return "any"
    return "text"


class RowConverter:
    """Builds, on the first batch, the fastest converter for the rows' value types."""

    def __init__(self, dataset: Dataset, kind: str) -> None:
        self.dataset, self.kind = dataset, kind  # kind: "csv", "json" or "feature"
        self.times = LocalTime()
        self.convert: Callable[[Sequence], object] | None = None
        self.times_kind: str | None = None

    def __call__(self, rows: Sequence[Sequence], then: Callable | None = None) -> list:
        """The converted rows (each passed through ``then`` when given, e.g. a serializer)."""
        kind = "any" if self.times_kind == "any" else _time_kind(self.dataset, rows)
        if self.convert is None or kind != self.times_kind:
            self.times_kind, self.convert = kind, self._build(kind)
        try:
            return self._apply(rows, then)
        except ValueError:  # a value outside today's offset, or in another form: the general path
            self.times_kind, self.convert = "any", self._build("any")
            return self._apply(rows, then)

    def _apply(self, rows: Sequence[Sequence], then: Callable | None) -> list:
        convert = self.convert
        if then is None:
            return list(map(convert, rows))
        return list(map(then, map(convert, rows)))

    def _build(self, times: str) -> Callable[[Sequence], object]:
        dataset = self.dataset
        width = len(dataset.fields)
        cells = _cells(dataset, for_csv=self.kind == "csv", times=times, local=self.times)
        if self.kind == "csv":  # the whole line in one f-string: no list, no csv.writer
            line = 'f"' + ",".join("{" + c + "}" for c in cells) + '\\r\\n"'
            return _compile(line, width, self.times)
        pairs = [f"{spec.name!r}: {cell}" for spec, cell in zip(dataset.fields, cells, strict=True)]
        if self.kind == "json":
            return _compile("{" + ", ".join(pairs) + "}", width, self.times)
        names = dataset.names
        lat, lon = (names.index(name) for name in dataset.geometry)
        fid = names.index(dataset.primary_key[0])
        properties = ", ".join(p for i, p in enumerate(pairs) if i not in (lat, lon, fid))
        geometry = (
            f"(None if r{lat} is None or r{lon} is None else "
            f"{{'type': 'Point', 'coordinates': [r{lon}, r{lat}]}})"
        )
        feature = (
            f"{{'type': 'Feature', 'id': r{fid}, 'geometry': {geometry}, "
            f"'properties': {{{properties}}}}}"
        )
        return _compile(feature, width, self.times)


# --- Encoders: header, batches of rows, trailer -------------------------------------------


class CsvEncoder:
    def __init__(self, dataset: Dataset, *, bom: bool = False) -> None:
        self.dataset, self.bom = dataset, bom
        self.converter = RowConverter(dataset, "csv")

    def head(self) -> bytes:
        header = ",".join(map(csv_cell, self.dataset.names)) + "\r\n"
        return (BOM if self.bom else b"") + header.encode()

    def encode(self, rows: Sequence[Sequence]) -> bytes:
        if not rows:
            return b""
        return "".join(self.converter(rows)).encode()

    def tail(self) -> bytes:
        return b""


class JsonEncoder:
    """A JSON array of objects, one per line."""

    def __init__(self, dataset: Dataset) -> None:
        self.converter = RowConverter(dataset, "json")
        self.first = True

    def head(self) -> bytes:
        return b"["

    def _join(self, items: list[bytes]) -> bytes:
        if not items:
            return b""
        if self.first:  # the array's first item: a line break, no comma
            self.first = False
            return b"\n" + b",\n".join(items)
        return b",\n".join([b"", *items])  # ",\n" before each: no copy to prepend it

    def encode(self, rows: Sequence[Sequence]) -> bytes:
        if not rows:
            return b""
        return self._join(self.converter(rows, orjson.dumps))

    def tail(self) -> bytes:
        return b"]\n" if self.first else b"\n]\n"


class FeatureBuilder:
    """Rows → serialized GeoJSON Features (RFC 7946): ``[lon, lat]``, id, properties."""

    def __init__(self, dataset: Dataset) -> None:
        if dataset.geometry is None:
            raise ValueError(f"dataset {dataset.name!r} has no geometry")
        self.converter = RowConverter(dataset, "feature")

    def features(self, rows: Sequence[Sequence]) -> list[bytes]:
        if not rows:
            return []
        return self.converter(rows, orjson.dumps)


class GeoJsonEncoder(JsonEncoder):
    """A FeatureCollection (RFC 7946), one feature per line."""

    def __init__(self, dataset: Dataset) -> None:
        self.builder = FeatureBuilder(dataset)
        self.first = True

    def head(self) -> bytes:
        return b'{"type":"FeatureCollection","features":['

    def encode(self, rows: Sequence[Sequence]) -> bytes:
        return self.encode_features(self.builder.features(rows))

    def encode_features(self, features: list[bytes]) -> bytes:
        return self._join(features)

    def tail(self) -> bytes:
        return b"]}\n" if self.first else b"\n]}\n"


class GeoJsonSeqEncoder:
    """GeoJSON text sequence (RFC 8142): RS, feature, LF."""

    def __init__(self, dataset: Dataset) -> None:
        self.builder = FeatureBuilder(dataset)

    def head(self) -> bytes:
        return b""

    def encode(self, rows: Sequence[Sequence]) -> bytes:
        return self.encode_features(self.builder.features(rows))

    def encode_features(self, features: list[bytes]) -> bytes:
        if not features:
            return b""
        return RS + b"\n\x1e".join(features) + b"\n"

    def tail(self) -> bytes:
        return b""


@dataclass(frozen=True)
class Format:
    """A download format: URL/file suffix, media type and encoder."""

    suffix: str
    media_type: str
    title: str
    make_encoder: Callable[[Dataset], object]
    geo: bool = False


FORMATS: dict[str, Format] = {
    "csv": Format("csv", "text/csv; charset=utf-8", "CSV", CsvEncoder),
    "excel.csv": Format(
        "excel.csv",
        "text/csv; charset=utf-8",
        "CSV (Excel)",
        lambda d: CsvEncoder(d, bom=True),
    ),  # fmt: skip
    "geojson": Format("geojson", "application/geo+json", "GeoJSON", GeoJsonEncoder, geo=True),
    "geojsonseq": Format(
        "geojsonseq", "application/geo+json-seq", "GeoJSONSeq", GeoJsonSeqEncoder, geo=True
    ),
    "json": Format("json", "application/json", "JSON", JsonEncoder),
}


def batches(rows: Iterable[Sequence], size: int = PIECE_ROWS) -> Iterator[list[Sequence]]:
    """Lists of up to ``size`` rows (rows may also arrive already batched)."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def pieces(batched: Iterable[Sequence[Sequence]]) -> Iterator[Sequence[Sequence]]:
    """The batches cut into pieces of at most PIECE_ROWS rows (see there why)."""
    for batch in batched:
        if len(batch) <= PIECE_ROWS:
            yield batch
        else:
            for start in range(0, len(batch), PIECE_ROWS):
                yield batch[start : start + PIECE_ROWS]


def stream(
    fmt: str,
    dataset: Dataset,
    rows: Iterable[Sequence],
    *,
    batched: Iterable[Sequence[Sequence]] | None = None,
    chunk_bytes: int | None = None,
) -> Iterator[bytes]:
    """The file ``fmt`` of ``dataset`` as a stream of byte chunks.

    ``batched`` may give the rows already grouped (e.g. ``Result.partitions()``).
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    spec = FORMATS[fmt]
    if spec.geo and dataset.geometry is None:
        raise ValueError(f"{dataset.name} has no geometry: no {fmt} file")
    encoder = spec.make_encoder(dataset)
    pending = [encoder.head()]
    size = len(pending[0])
    for piece_rows in pieces(batched) if batched is not None else batches(rows):
        piece = encoder.encode(piece_rows)
        pending.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            yield b"".join(pending)
            pending, size = [], 0
    pending.append(encoder.tail())
    yield b"".join(pending)


def csv_rows(dataset: Dataset, rows: Iterable[Sequence], *, bom: bool = False) -> Iterator[bytes]:
    return stream("excel.csv" if bom else "csv", dataset, rows)


def geojson_feature_collection(dataset: Dataset, rows: Iterable[Sequence]) -> Iterator[bytes]:
    return stream("geojson", dataset, rows)


def geojson_seq(dataset: Dataset, rows: Iterable[Sequence]) -> Iterator[bytes]:
    return stream("geojsonseq", dataset, rows)


def json_array(dataset: Dataset, rows: Iterable[Sequence]) -> Iterator[bytes]:
    return stream("json", dataset, rows)


class MultiWriter:
    """Writes one pass over the rows into several formats at once (for snapshots).

    ``outputs`` maps a format to a binary file. CSV cells are encoded once for both CSV
    variants and features once for GeoJSON and GeoJSONSeq.
    """

    def __init__(self, dataset: Dataset, outputs: dict[str, object]) -> None:
        self.dataset, self.outputs = dataset, outputs
        self.encoders = {fmt: FORMATS[fmt].make_encoder(dataset) for fmt in outputs}
        self.rows = 0
        self._features = FeatureBuilder(dataset) if dataset.geometry else None

    def __enter__(self) -> MultiWriter:
        for fmt, out in self.outputs.items():
            out.write(self.encoders[fmt].head())
        return self

    def write(self, batch: Sequence[Sequence]) -> None:
        for piece in pieces((batch,)):
            self._write_piece(piece)
        self.rows += len(batch)

    def _write_piece(self, batch: Sequence[Sequence]) -> None:
        done: dict[str, bytes] = {}
        features = None
        for fmt, out in self.outputs.items():
            encoder = self.encoders[fmt]
            if fmt in ("csv", "excel.csv"):
                other = "excel.csv" if fmt == "csv" else "csv"
                data = done.get(other)
                if data is None:
                    data = done[fmt] = encoder.encode(batch)
            elif FORMATS[fmt].geo:
                if features is None:
                    features = self._features.features(batch)
                data = encoder.encode_features(features)
            else:
                data = encoder.encode(batch)
            out.write(data)

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            for fmt, out in self.outputs.items():
                out.write(self.encoders[fmt].tail())
