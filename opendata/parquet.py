"""Parquet files of the open datasets: typed columns for analysts (pandas, polars, DuckDB).

Types: instants as ``timestamp[ms, tz=Asia/Bishkek]`` (stored UTC-adjusted, shown in
Bishkek time; seconds are the finest unit, as in the other formats), booleans, 64-bit
integers, the point as the ``lat``/``lon`` float columns, dates as dates, months as
``YYYY-MM`` text. Each column carries its field's description. Row groups of
``ROW_GROUP_ROWS`` rows are written as they fill (whatever the batches' sizes), so a stream
holds one row group at most.

``pyarrow.parquet`` is imported when a file is written, not with this module: the
catalogue and the other formats need only Arrow's core, and a web worker that serves no
Parquet file does not load the Parquet library.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from opendata.columns import ARROW_TYPES, TIMEZONE
from opendata.tableschema import Dataset

ROW_GROUP_ROWS = 64_000
LOCAL_TIMES = pa.timestamp("ms", tz=TIMEZONE)
MEDIA_TYPE = "application/vnd.apache.parquet"


def parquet_schema(dataset: Dataset) -> pa.Schema:
    """The Arrow schema of a dataset's Parquet file."""
    fields = []
    for spec in dataset.fields:
        kind = LOCAL_TIMES if spec.type == "datetime" else ARROW_TYPES[spec.type]
        fields.append(pa.field(spec.name, kind, metadata={"description": spec.description}))
    return pa.schema(
        fields, metadata={"dataset": dataset.name, "primary_key": ",".join(dataset.primary_key)}
    )


def parquet_batch(dataset: Dataset, batch: pa.RecordBatch) -> pa.RecordBatch:
    """A canonical batch (``opendata.columns``) in the Parquet file's types."""
    arrays = []
    for index, spec in enumerate(dataset.fields):
        column = batch.column(index)
        if spec.type == "datetime":
            column = pc.floor_temporal(column, unit="second").cast(LOCAL_TIMES)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=parquet_schema(dataset))


class _Sink:
    """A write-only file that hands out what was written since the last ``take``."""

    closed = False

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


class ParquetEncoder:
    """A Parquet file written row group by row group (see ``opendata.exports``)."""

    def __init__(self, dataset: Dataset) -> None:
        import pyarrow.parquet as pq

        self.dataset = dataset
        self.sink = _Sink()
        self.writer = pq.ParquetWriter(
            self.sink, parquet_schema(dataset), compression="zstd", version="2.6"
        )
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0

    def head(self) -> bytes:
        return self.sink.take()  # the magic bytes

    def encode(self, rendered) -> bytes:
        batch = parquet_batch(self.dataset, rendered.batch)
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        if self.pending_rows >= ROW_GROUP_ROWS:
            self._flush()
        return self.sink.take()

    def _flush(self, last: bool = False) -> None:
        """Write the pending rows as row groups of exactly ``ROW_GROUP_ROWS`` (the last
        one excepted), so that the file does not depend on how its rows were batched."""
        if not self.pending:
            return
        table = pa.Table.from_batches(self.pending, schema=self.writer.schema)
        keep = 0 if last else table.num_rows % ROW_GROUP_ROWS
        if table.num_rows > keep:
            self.writer.write_table(table.slice(0, table.num_rows - keep), ROW_GROUP_ROWS)
        self.pending = table.slice(table.num_rows - keep).to_batches() if keep else []
        self.pending_rows = keep

    def tail(self) -> bytes:
        self._flush(last=True)
        self.writer.close()
        return self.sink.take()
