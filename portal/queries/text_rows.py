"""SQLite's export reads: the database writes each row as text and Arrow parses it.

A DBAPI cursor builds a Python object for every value it returns, which is most of a
download's cost. SQLite has no COPY, so the SELECT itself writes each row as one line of
SQL literals (``as_lines``: ``printf('%Q,%Q,…', a, b, …)``): values in single quotes with
``'`` doubled, NULL as the bare word ``NULL``, reals in round-trip precision, booleans
``0``/``1``. The lines come as a BLOB, so Python neither decodes nor re-encodes them, and
``pyarrow.csv`` parses them in C++ straight into columns of the dataset's types.

A dataset ordered by a primary key is read in blocks of consecutive keys, each block's
lines joined by SQLite (``as_line_blocks``, ``block_chunks``): one row per block crosses
into Python, not one per appeal (a cursor builds a Python object for every row and takes
the GIL back after every step, which a download's rendering thread then waits for).
Other datasets are read a line per row (``line_chunks``).

Timestamps (the portal stores naive UTC as text) are read as naive and made UTC by
``opendata.columns``. The rows are those of the same SELECT as a cursor's
(``portal.queries.exports.compiled_sql``), in one read transaction (begun explicitly for
the blocks); the caller ends it. (PostgreSQL's rows come as Arrow from its driver:
``portal.queries.postgres_arrow``.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import ColumnElement, LargeBinary, Select, cast, func, literal_column, select

from opendata import columns
from opendata.tableschema import Dataset

#: How each Table Schema type is read from the databases' text.
CSV_TYPES: dict[str, pa.DataType] = {**columns.ARROW_TYPES, "datetime": pa.timestamp("us")}


@dataclass(frozen=True)
class TextDialect:
    """How a database writes a row as CSV: what only the text can tell apart."""

    quote: str
    null: str
    true: str
    false: str


#: SQLite's ``quote()`` and printf's ``%Q``: SQL literals.
SQL_LITERALS = TextDialect(quote="'", null="NULL", true="1", false="0")


def parsed_batches(
    chunks: Iterable[bytes], dataset: Dataset, dialect: TextDialect
) -> Iterator[pa.RecordBatch]:
    """Canonical batches (``opendata.columns``), one per chunk of CSV ``chunks`` written in
    ``dialect`` (whole lines, one per row, the dataset's fields in order; the last one
    with or without a line break). ``chunks`` is closed when the batches end or are left
    early.

    Each chunk is parsed on its own: Arrow's streaming reader would read some 30 blocks
    ahead of its first batch (38 MB for a download of the appeals).
    """
    convert = pacsv.ConvertOptions(
        column_types={spec.name: CSV_TYPES[spec.type] for spec in dataset.fields},
        null_values=[dialect.null],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=[dialect.true],
        false_values=[dialect.false],
    )
    parse = pacsv.ParseOptions(quote_char=dialect.quote, newlines_in_values=True)
    try:
        for chunk in chunks:
            read = pacsv.ReadOptions(column_names=list(dataset.names),
                                     block_size=max(len(chunk), 1 << 16), use_threads=False)  # fmt: skip
            table = pacsv.read_csv(pa.BufferReader(chunk), read, parse, convert)
            yield columns.conform(dataset, table)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()


def as_lines(query: Select, dataset: Dataset) -> Select:
    """``query`` (SQLite, selecting ``dataset``'s fields) selecting each row as one line of
    SQL literals, as a BLOB.

    printf's ``%Q`` quotes a value as ``quote()`` does, at a fraction of its cost (a function
    call per value doubled the SELECT's time at 1M appeals); a number goes through
    ``quote()`` all the same, the one conversion that keeps a real's every digit.
    """
    selected = list(query.selected_columns)
    if [column.name for column in selected] != list(dataset.names):
        raise ValueError(f"{dataset.name}: the query does not select the dataset's fields")
    numbers = [spec.type == "number" for spec in dataset.fields]
    template = ",".join("%s" if number else "%Q" for number in numbers)
    values = [func.quote(column) if number else column
              for column, number in zip(selected, numbers, strict=True)]  # fmt: skip
    line = cast(func.printf(template, *values), LargeBinary).label("line")
    return query.with_only_columns(line)


def as_line_blocks(query: Select, dataset: Dataset, key: ColumnElement) -> Select:
    """``query`` (SQLite, selecting ``dataset``'s fields, ordered by ``key`` first) reading
    one block: the lines (``as_lines``) of the rows whose ``key`` is after the named
    parameter ``:block_after`` and up to ``:block_last``, joined by line breaks, as one
    BLOB (NULL for a block without rows).

    The block's SELECT keeps its ORDER BY inside a subquery, which SQLite never flattens
    into an aggregate (rule 16 of its query flattener), so ``group_concat`` receives the
    lines in order. The parameters are SQLite's own (they stay parameters under
    ``literal_binds``), so one prepared statement serves every block.
    """
    block = query.where(key > literal_column(":block_after"), key <= literal_column(":block_last"))
    lines = as_lines(block, dataset).subquery("block")
    return select(cast(func.group_concat(lines.c.line, "\n"), LargeBinary))


def block_chunks(raw_connection, blocks: str, bounds: str, keys: int) -> Iterator[bytes]:
    """The lines of ``blocks`` (an ``as_line_blocks`` query) from a sqlite3 connection,
    ``keys`` consecutive keys per chunk, from the smallest key to the largest (``bounds``
    selects both), all in one read transaction. The caller ends it."""
    raw_connection.execute("BEGIN")  # one snapshot for every block (WAL)
    cursor = raw_connection.cursor()
    try:
        first, last = cursor.execute(bounds).fetchone()
        if first is None:
            return
        for after in range(first - 1, last, keys):
            parameters = {"block_after": after, "block_last": after + keys}
            (lines,) = cursor.execute(blocks, parameters).fetchone()
            if lines:
                yield lines  # a last line needs no line break: each chunk is parsed alone
    finally:
        cursor.close()


def line_chunks(raw_connection, sql: str, batch_rows: int) -> Iterator[bytes]:
    """The lines of ``sql``, an ``as_lines`` query, from a sqlite3 cursor, ``batch_rows``
    lines per chunk."""
    cursor = raw_connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch_rows):
            yield b"\n".join([line for (line,) in rows])
    finally:
        cursor.close()
