"""The published fields as Arrow columns: the batch every writer of ``opendata.exports`` reads.

Each Table Schema type has one Arrow type (``ARROW_TYPES``). Whatever a source gives —
Python rows from a DB-API cursor (SQLite's UTC text and 0/1 booleans, PostgreSQL's naive
UTC datetimes), database-formatted local ISO 8601 text, or Arrow batches from a driver —
``conform`` turns it into the canonical record batch of the dataset: its fields, by name,
in schema order, with instants as ``timestamp[us, UTC]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

import pyarrow as pa

from opendata.tableschema import Dataset, Field

TIMEZONE = "Asia/Bishkek"
UTC_TIMES = pa.timestamp("us", tz="UTC")
#: The Arrow type of every Table Schema type.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
    "boolean": pa.bool_(), "datetime": UTC_TIMES, "date": pa.date32(),
    "yearmonth": pa.string(),
}  # fmt: skip
#: Python rows are turned into Arrow this many at a time.
ROWS_PER_BATCH = 1000


def arrow_schema(dataset: Dataset) -> pa.Schema:
    """The canonical Arrow schema of a dataset (every field nullable: the writers decide)."""
    return pa.schema([pa.field(spec.name, ARROW_TYPES[spec.type]) for spec in dataset.fields])


def utc_times(array: pa.Array) -> pa.Array:
    """Instants as ``timestamp[us, UTC]``.

    Naive timestamps and text without an offset (SQLite's ``YYYY-MM-DD HH:MM:SS[.ffffff]``)
    are UTC; text with an offset (``2026-03-01T14:05:09+06:00``) carries its own.
    """
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        try:
            array = array.cast(pa.timestamp("us"))
        except pa.ArrowInvalid:  # an offset in the text
            return array.cast(UTC_TIMES)
    if pa.types.is_timestamp(array.type) and array.type.tz is None:
        array = array.cast(pa.timestamp(array.type.unit, tz="UTC"))
    return array.cast(UTC_TIMES)


def conform_column(spec: Field, array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One column in its field's canonical Arrow type."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    target = ARROW_TYPES[spec.type]
    if array.type == target:
        return array
    if spec.type == "datetime":
        return utc_times(array)
    return array.cast(target)  # e.g. SQLite's 0/1 booleans, an all-null column


def conform(dataset: Dataset, batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
    """Any batch holding the dataset's fields (by name) as its canonical batch."""
    arrays = [conform_column(spec, batch.column(spec.name)) for spec in dataset.fields]
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(dataset))


def from_rows(
    dataset: Dataset, rows: Sequence[Sequence], learn: RowBatches | None = None
) -> pa.RecordBatch:
    """Python rows (values in the order of ``dataset.fields``) as a canonical batch.

    ``learn`` is told the inferred Arrow types of the source's columns."""
    width = len(dataset.fields)
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    if len(columns) != width:
        raise ValueError(f"{dataset.name}: rows of {len(columns)} values, {width} fields")
    raw = [pa.array(column, from_pandas=False) for column in columns]
    if learn is not None:
        learn.learn(raw)
    arrays = [conform_column(spec, array) for spec, array in zip(dataset.fields, raw, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(dataset))


class RowBatches:
    """Lists of rows of one source → canonical batches.

    The first list is read column by column with pyarrow's type inference; once every
    column's type is known, later lists are read as one struct array of those types
    (no transposition in Python: a third faster). A list whose values do not fit (a float
    where integers were, text where there was none) is read by inference again.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.struct: pa.StructType | None = None

    def __call__(self, rows: Sequence[Sequence]) -> pa.RecordBatch:
        if self.struct is not None and rows:
            try:
                values = pa.RecordBatch.from_struct_array(pa.array(rows, type=self.struct))
                return conform(self.dataset, values)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
                pass
        batch = from_rows(self.dataset, rows, learn=self)
        return batch

    def learn(self, arrays: list[pa.Array]) -> None:
        """Remember the source's column types (numbers as floats: pyarrow would truncate a
        later 2.5 into an integer column learned from whole numbers)."""
        if all(not pa.types.is_null(array.type) for array in arrays):
            fields = [
                pa.field(spec.name, pa.float64() if spec.type == "number" else array.type)
                for spec, array in zip(self.dataset.fields, arrays, strict=True)
            ]
            self.struct = pa.struct(fields)


def batches(dataset: Dataset, batched: Iterable) -> Iterator[pa.RecordBatch]:
    """Canonical batches from Arrow batches (or tables) or lists of rows (``fetchmany``)."""
    reader = RowBatches(dataset)
    for item in batched:
        if isinstance(item, pa.RecordBatch | pa.Table):
            yield conform(dataset, item)
        else:
            yield reader(item)


def grouped(rows: Iterable[Sequence], size: int = ROWS_PER_BATCH) -> Iterator[list[Sequence]]:
    """Rows in lists of up to ``size``."""
    iterator = iter(rows)
    while group := list(islice(iterator, size)):
        yield group
