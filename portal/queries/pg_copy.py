"""PostgreSQL export reads through ``COPY (SELECT …) TO STDOUT`` parsed by Arrow's CSV reader.

The server writes the rows as CSV and ``pyarrow.csv`` parses them in C++ straight into
columns of the dataset's types: no Python tuple or object per value is built, which is
most of a DBAPI cursor's cost. What CSV cannot tell apart is told explicitly:

* NULL is an unquoted empty cell, the empty string a quoted one (``""``);
* booleans are ``t``/``f``; timestamps without time zone (the portal stores naive UTC)
  are read as naive and made UTC by ``opendata.columns``; numbers use PostgreSQL's
  shortest round-trip text (``extra_float_digits`` ≥ 1, the default since PostgreSQL 12),
  so the floats are the same bits as a cursor's.

The rows are those of the same SELECT as the cursor reader's (``compiled_sql``), in one
transaction; leaving early cancels the COPY (psycopg does), and the caller rolls back.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from opendata import columns
from opendata.tableschema import Dataset

#: Bytes of CSV parsed at a time, per row of a batch asked for (an appeal takes ~650).
BYTES_PER_ROW = 512
#: How each Table Schema type is read from PostgreSQL's CSV.
CSV_TYPES: dict[str, pa.DataType] = {**columns.ARROW_TYPES, "datetime": pa.timestamp("us")}


class _CopyStream(io.RawIOBase):
    """The chunks of a psycopg ``Copy`` as a readable binary stream."""

    def __init__(self, copy) -> None:
        self.chunks = iter(copy)
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def at_end(self) -> bool:
        """Whether nothing (more) is coming (Arrow refuses an empty CSV file)."""
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return True
            self.pending = memoryview(chunk)
        return False

    def readinto(self, buffer) -> int:
        if self.at_end():
            return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def copy_batches(
    raw_connection, dataset: Dataset, sql: str, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """Canonical batches (``opendata.columns``) of ``sql`` of at most ``batch_rows`` rows,
    read with COPY on a psycopg connection (its transaction is left open: the caller
    ends it)."""
    block = max(batch_rows * BYTES_PER_ROW, 1 << 16)
    names = list(dataset.names)
    options = pacsv.ConvertOptions(
        column_types={spec.name: CSV_TYPES[spec.type] for spec in dataset.fields},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["t"],
        false_values=["f"],
    )
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    with raw_connection.cursor() as cursor, cursor.copy(statement) as copy:
        stream = _CopyStream(copy)
        if stream.at_end():
            return
        reader = pacsv.open_csv(
            io.BufferedReader(stream, block),
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=block, use_threads=False
            ),  # fmt: skip
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=options,
        )
        for batch in reader:
            for start in range(0, batch.num_rows, batch_rows):
                yield columns.conform(dataset, batch.slice(start, batch_rows))
