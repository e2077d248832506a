"""Streaming writers of the open datasets: CSV, Excel CSV, GeoJSON, GeoJSONSeq, JSON, Parquet.

The writers read Arrow record batches (``opendata.columns``: the dataset's fields by name;
Python rows are turned into batches first) and yield ``bytes`` chunks of at least
``CHUNK_BYTES``, so that a download of a million appeals runs in constant memory. Every
value is rendered by vectorised ``pyarrow.compute`` kernels (``opendata.cells``, which
states the conventions for datetimes, numbers, missing values and the CSV formula guard);
each batch's cells are rendered once for every format written from it.

* CSV: RFC 4180, UTF-8 without BOM, a header row, CRLF line ends. The ``excel.csv``
  variant opens in columns in Excel as used in Kyrgyzstan (Russian regional settings):
  a BOM so that it detects UTF-8, ``;`` between cells and a decimal comma.
* GeoJSON: RFC 7946, ``[lon, lat]`` (the only place that writes that order), no ``crs``,
  the feature ``id`` is the record's primary key, ``"geometry": null`` without a point;
  coordinates as the masking gate (``opendata.geomask``) rounded them.
* GeoJSONSeq: RFC 8142, each feature preceded by RS (0x1E) and ended by LF.
* JSON: an array of objects, one per line.
* Parquet: typed columns (``opendata.parquet``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa
import pyarrow.compute as pc

from opendata import cells, columns
from opendata.cells import FORMULA_STARTS, joined_bytes
from opendata.parquet import ParquetEncoder
from opendata.schema import Dataset
from opendata.tableschema import Field

__all__ = ["FORMATS", "FORMULA_STARTS", "MultiWriter", "stream"]

#: The size streamed downloads aim for per chunk.
CHUNK_BYTES = 64 * 1024
BOM = "\ufeff".encode()
RS = b"\x1e"


class Rendered:
    """One canonical batch and its text cells, each computed once for every format."""

    def __init__(self, dataset: Dataset, batch: pa.RecordBatch) -> None:
        self.dataset, self.batch = dataset, batch
        self._csv: dict[cells.CsvDialect, bytes] = {}

    def csv_lines(self, dialect: cells.CsvDialect) -> bytes:
        """The batch's CSV lines in ``dialect`` (each dialect rendered once)."""
        if dialect not in self._csv:
            parts: list = []
            cells_of = self._by_kind(lambda spec, column: cells.csv_parts(spec, column, dialect))
            for index, field_parts in enumerate(cells_of):
                parts += [dialect.separator if index else "", *field_parts]
            self._csv[dialect] = joined_bytes(_joined(*parts, "\r\n"))
        return self._csv[dialect]

    @cached_property
    def json_parts(self) -> list[list[str | pa.Array]]:
        """Each field's JSON values, in parts (``cells.json_parts``)."""
        return self._by_kind(cells.json_parts)

    def _by_kind(self, render: Callable[[Field, pa.Array], list]) -> list[list[str | pa.Array]]:
        """``render(spec, column)`` of each field (its parts: literals and string columns),
        columns of one kind rendered together: joined end to end, rendered once and sliced
        back. A kernel call costs ~10 us however short its column, and a column takes a
        dozen: for 2,000 appeals that fixed cost was two fifths of their GeoJSON's. The
        renderings of ``opendata.cells`` are row by row, so the result is the same.

        A kind is what a rendering branches on: the field's type and free-text flag, the
        column's type and whether it has missing values. A string column without any
        needs only a scan of its bytes and is not worth copying: it stays alone."""
        fields, batch = self.dataset.fields, self.batch
        kinds: dict[tuple, list[int]] = {}
        for index, spec in enumerate(fields):
            kinds.setdefault(_kind(index, spec, batch.column(index)), []).append(index)
        rendered: list = [None] * len(fields)
        for indexes in kinds.values():
            columns = [batch.column(index) for index in indexes]
            parts = render(fields[indexes[0]], _end_to_end(columns))
            start = 0
            for index, column in zip(indexes, columns, strict=True):
                rendered[index] = [part if isinstance(part, str) else part.slice(start, len(column))
                                   for part in parts]  # fmt: skip
                start += len(column)
        return rendered

    def objects(self, prefix: str, suffix: str = "") -> bytes:
        """Each row as a JSON object, between ``prefix`` and ``suffix``."""
        parts: list = [prefix]
        for index, spec in enumerate(self.dataset.fields):
            parts += [('{"' if index == 0 else ',"') + spec.name + '":', *self.json_parts[index]]
        return joined_bytes(_joined(*parts, "}" + suffix))

    def features(self, prefix: str, suffix: str = "") -> bytes:
        """Each row as a GeoJSON Feature, between ``prefix`` and ``suffix``."""
        dataset, values = self.dataset, self.json_parts
        names = dataset.names
        lat, lon = (names.index(name) for name in dataset.geometry)
        key = names.index(dataset.primary_key[0])
        parts: list = [prefix, '{"type":"Feature","id":', *values[key], ',"geometry":',
                       *self._geometry(lat, lon), ',"properties":{']  # fmt: skip
        first = True
        for index, name in enumerate(names):
            if index not in (lat, lon, key):
                parts += [("" if first else ",") + f'"{name}":', *values[index]]
                first = False
        return joined_bytes(_joined(*parts, "}}" + suffix))

    def _geometry(self, lat: int, lon: int) -> list[str | pa.Array]:
        values = self.json_parts
        point = ['{"type":"Point","coordinates":[', *values[lon], ",", *values[lat], "]}"]
        latitudes, longitudes = self.batch.column(lat), self.batch.column(lon)
        if latitudes.null_count == 0 and longitudes.null_count == 0:
            return point
        present = pc.and_(pc.is_valid(latitudes), pc.is_valid(longitudes))
        return [pc.if_else(present, cells.join(*point), "null")]


def _kind(index: int, spec: Field, column: pa.Array) -> tuple:
    """What the renderings of ``opendata.cells`` branch on (``Rendered._by_kind``)."""
    if column.null_count == 0 and pa.types.is_string(column.type):
        return (index,)
    return spec.type, spec.free_text, column.type, column.null_count == 0


def _end_to_end(columns: list[pa.Array]) -> pa.Array:
    return columns[0] if len(columns) == 1 else pa.concat_arrays(columns)


def _joined(*parts: str | pa.Array) -> pa.Array:
    """``cells.join`` of ``parts``, adjacent literals merged first (fewer inputs)."""
    merged: list = []
    for part in parts:
        if isinstance(part, str) and not part:
            continue
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return cells.join(*merged)


# --- Encoders: head, one rendered batch at a time, tail ----------------------------------


class CsvEncoder:
    def __init__(
        self, dataset: Dataset, *, dialect: cells.CsvDialect = cells.RFC4180, bom: bool = False
    ) -> None:
        self.dataset, self.dialect, self.bom = dataset, dialect, bom

    def head(self) -> bytes:
        names = pa.array(self.dataset.names, pa.string())
        header = self.dialect.separator.join(cells.csv_quoted(names, self.dialect).to_pylist())
        return (BOM if self.bom else b"") + (header + "\r\n").encode()

    def encode(self, rendered: Rendered) -> bytes:
        return rendered.csv_lines(self.dialect)

    def tail(self) -> bytes:
        return b""


class JsonEncoder:
    """A JSON array of objects, one per line."""

    opening, closing = b"[", b"]\n"

    def __init__(self, dataset: Dataset) -> None:
        self.first = True

    def head(self) -> bytes:
        return self.opening

    def items(self, rendered: Rendered) -> bytes:
        return rendered.objects(",\n")

    def encode(self, rendered: Rendered) -> bytes:
        if rendered.batch.num_rows == 0:
            return b""
        data = self.items(rendered)
        if self.first:  # the array's first item: a line break, no comma
            self.first = False
            return data[1:]
        return data

    def tail(self) -> bytes:
        return self.closing if self.first else b"\n" + self.closing


class GeoJsonEncoder(JsonEncoder):
    """A FeatureCollection (RFC 7946), one feature per line."""

    opening, closing = b'{"type":"FeatureCollection","features":[', b"]}\n"

    def items(self, rendered: Rendered) -> bytes:
        return rendered.features(",\n")


class GeoJsonSeqEncoder:
    """GeoJSON text sequence (RFC 8142): RS, feature, LF."""

    def __init__(self, dataset: Dataset) -> None:
        pass

    def head(self) -> bytes:
        return b""

    def encode(self, rendered: Rendered) -> bytes:
        return rendered.features("\x1e", "\n") if rendered.batch.num_rows else b""

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
    binary: bool = False


FORMATS: dict[str, Format] = {
    "csv": Format("csv", "text/csv; charset=utf-8", "CSV", CsvEncoder),
    "excel.csv": Format(
        "excel.csv",
        "text/csv; charset=utf-8",
        "CSV (Excel)",
        lambda d: CsvEncoder(d, dialect=cells.EXCEL, bom=True),
    ),  # fmt: skip
    "geojson": Format("geojson", "application/geo+json", "GeoJSON", GeoJsonEncoder, geo=True),
    "geojsonseq": Format(
        "geojsonseq", "application/geo+json-seq", "GeoJSONSeq", GeoJsonSeqEncoder, geo=True
    ),  # fmt: skip
    "json": Format("json", "application/json", "JSON", JsonEncoder),
    "parquet": Format(
        "parquet", "application/vnd.apache.parquet", "Parquet", ParquetEncoder, binary=True
    ),  # fmt: skip
}


def _encoders(dataset: Dataset, formats: Iterable[str]) -> dict[str, object]:
    encoders = {}
    for fmt in formats:
        if FORMATS[fmt].geo and dataset.geometry is None:
            raise ValueError(f"{dataset.name} has no geometry: no {fmt} file")
        encoders[fmt] = FORMATS[fmt].make_encoder(dataset)
    return encoders


def stream(
    fmt: str,
    dataset: Dataset,
    rows: Iterable[Sequence] = (),
    *,
    batched: Iterable | None = None,
    chunk_bytes: int | None = None,
) -> Iterator[bytes]:
    """The file ``fmt`` of ``dataset`` as a stream of byte chunks.

    ``rows`` are Python rows in field order; ``batched`` gives the data already grouped:
    Arrow record batches or lists of rows (e.g. from ``fetchmany``).
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    encoder = _encoders(dataset, [fmt])[fmt]
    source = batched if batched is not None else columns.grouped(rows)
    pending = [encoder.head()]
    size = len(pending[0])
    for batch in columns.batches(dataset, source):
        piece = encoder.encode(Rendered(dataset, batch))
        pending.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            yield b"".join(pending)
            pending, size = [], 0
    pending.append(encoder.tail())
    yield b"".join(pending)


class MultiWriter:
    """Writes one pass over the batches into several formats at once (for snapshots).

    ``outputs`` maps a format to a binary file; each batch's cells are rendered once for
    all of them (CSV lines for both CSV variants, features for GeoJSON and GeoJSONSeq).
    """

    def __init__(self, dataset: Dataset, outputs: dict[str, object]) -> None:
        self.dataset, self.outputs = dataset, outputs
        self.encoders = _encoders(dataset, outputs)
        self.rows = 0

    def __enter__(self) -> MultiWriter:
        for fmt, out in self.outputs.items():
            out.write(self.encoders[fmt].head())
        return self

    def write(self, batch) -> None:
        """Write one Arrow batch (or list of rows) into every output."""
        for canonical in columns.batches(self.dataset, [batch]):
            rendered = Rendered(self.dataset, canonical)
            for fmt, out in self.outputs.items():
                out.write(self.encoders[fmt].encode(rendered))
            self.rows += canonical.num_rows

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            for fmt, out in self.outputs.items():
                out.write(self.encoders[fmt].tail())
