"""Export reads in which the database writes each row as text and Arrow parses it.

A DBAPI cursor builds a Python object for every value it returns, which is most of a
download's cost. Here the database writes the rows as CSV, and ``pyarrow.csv`` parses them
in C++ straight into columns of the dataset's types:

* PostgreSQL: ``COPY (SELECT …) TO STDOUT`` in CSV (``copy_chunks``). NULL is an unquoted
  empty cell, the empty string a quoted one (``""``); booleans are ``t``/``f``; numbers use
  PostgreSQL's shortest round-trip text (``extra_float_digits`` ≥ 1, the default since
  PostgreSQL 12), so the floats are the same bits as a cursor's.
* SQLite, which has no COPY: the SELECT itself writes each row as one line of SQL literals
  (``as_lines``: ``printf('%Q,%Q,…', a, b, …)``): values in single quotes with
  ``'`` doubled, NULL as the bare word ``NULL``, reals in round-trip precision, booleans
  ``0``/``1``. The line comes as a BLOB, so Python neither decodes nor
  re-encodes it, and the cursor builds one object per row instead of one per value
  (``line_chunks``).

Timestamps without time zone (the portal stores naive UTC: PostgreSQL's ``timestamp``,
SQLite's text) are read as naive and made UTC by ``opendata.columns``. The rows are those
of the same SELECT as a cursor's (``portal.queries.exports.compiled_sql``), in one
transaction; leaving early cancels a COPY (psycopg does), and the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import LargeBinary, Select, cast, func

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


#: PostgreSQL's ``COPY … (FORMAT csv)``.
COPY_CSV = TextDialect(quote='"', null="", true="t", false="f")
#: SQLite's ``quote()`` and printf's ``%Q``: SQL literals.
SQL_LITERALS = TextDialect(quote="'", null="NULL", true="1", false="0")


def parsed_batches(
    chunks: Iterable[bytes], dataset: Dataset, dialect: TextDialect
) -> Iterator[pa.RecordBatch]:
    """Canonical batches (``opendata.columns``), one per chunk of CSV ``chunks`` written in
    ``dialect`` (whole lines, one per row, the dataset's fields in order). ``chunks`` is
    closed when the batches end or are left early.

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


def copy_chunks(raw_connection, sql: str, batch_rows: int) -> Iterator[bytes]:
    """The CSV of ``sql`` from ``COPY … TO STDOUT`` on a psycopg connection, ``batch_rows``
    rows per chunk (libpq hands over one row at a time). The transaction is left open: the
    caller ends it."""
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    with raw_connection.cursor() as cursor, cursor.copy(statement) as copy:
        rows = iter(copy)
        while chunk := b"".join(islice(rows, batch_rows)):
            yield chunk


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
    return query.with_only_columns(cast(func.printf(template, *values), LargeBinary))


def line_chunks(raw_connection, sql: str, batch_rows: int) -> Iterator[bytes]:
    """The lines of ``sql``, an ``as_lines`` query, from a sqlite3 cursor, ``batch_rows``
    lines per chunk."""
    cursor = raw_connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch_rows):
            yield b"\n".join([line for (line,) in rows]) + b"\n"
    finally:
        cursor.close()


#: Each database's reader of text chunks and the dialect its text is written in.
READERS = {"postgresql": (copy_chunks, COPY_CSV), "sqlite": (line_chunks, SQL_LITERALS)}
