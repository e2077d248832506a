"""The export readers give the same Arrow batches, hence the same bytes, as a plain cursor.

On PostgreSQL ``stream_rows`` reads Arrow from the driver's binary COPY
(``portal.queries.postgres_arrow``), on SQLite lines of SQL literals parsed by Arrow
(``portal.queries.text_rows``); both are compared here with the reference reader
(``fetchall`` into ``columns.RowBatches``) over every SQL dataset, with the texts CSV finds hardest: NULL next to the empty string,
quotes, separators and line breaks, Kyrgyz letters and emoji, a formula start.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from opendata import columns, exports, schema
from portal.extensions import db
from portal.queries.exports import compiled_sql, dataset_query, stream_rows
from portal.queries.record import TABLES
from portal.schemas.filters import AppealFilters
from tests.portal.test_publish import seeded  # noqa: F401 (fixture)

HARD_TEXTS = [
    "",  # the empty string, not NULL
    'Он сказал: "яма", и ушёл',
    "строка 1\nстрока 2\r\nстрока 3",
    "a,b;c\td",
    "Өтө терең чуңкур, үй жанында ң 🚧",
    "=1+1",
    "\\N and \\. and NULL",
    "NULL",  # SQLite's bare NULL, quoted: the text, not a missing value
    "it's 'quoted'', ''",  # SQL literals' quote, doubled inside
]


def reference_table(name: str) -> pa.Table:
    """The dataset read the plain way: a DBAPI cursor, every row as a Python tuple."""
    dataset = schema.dataset(name)
    sql = compiled_sql(dataset_query(name, AppealFilters(), default_deadline=14), db.engine.dialect)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        raw.rollback()
        raw.close()
    return pa.Table.from_batches([columns.RowBatches(dataset)(rows)], columns.arrow_schema(dataset))


@pytest.fixture
def hard_appeals(seeded, make_appeal, make_answer):  # noqa: F811 (fixture)
    for index, text in enumerate(HARD_TEXTS):
        # an instant whose Bishkek time is the next day (+06:00), with microseconds
        at = datetime(2026, 3, 1, 20, 30, 15, 123456 + index, tzinfo=UTC)
        appeal = make_appeal(text=text or "x", public_text=text, submitted_at=at)
        make_answer(appeal, text=text, at=at.replace(hour=21))
    make_appeal(status="withdrawn", submitted_at=datetime(2026, 3, 1, 19, tzinfo=UTC))
    return seeded


@pytest.mark.parametrize("name", sorted(TABLES))
def test_stream_rows_reads_what_a_cursor_reads(hard_appeals, name):
    dataset = schema.dataset(name)
    expected = reference_table(name)
    batches = list(stream_rows(db.engine, name, AppealFilters(), batch_rows=7, default_deadline=14))
    assert all(batch.num_rows <= 7 for batch in batches)
    got = pa.Table.from_batches(batches, columns.arrow_schema(dataset))
    assert got.num_rows == expected.num_rows > 0
    for field in dataset.names:
        assert got[field].to_pylist() == expected[field].to_pylist(), field
    if name == "appeals":
        texts = got["text"].to_pylist()
        assert all(text in texts for text in HARD_TEXTS)  # "" among them, not made NULL
        assert None in got["extension_reason"].to_pylist()  # and NULL not made ""
    for fmt in ("csv", "geojson") if dataset.geometry else ("csv", "json"):
        assert b"".join(exports.stream(fmt, dataset, batched=batches)) == b"".join(
            exports.stream(fmt, dataset, batched=expected.to_batches())
        ), fmt


def test_a_download_reads_one_snapshot_while_appeals_change(app, make_appeal):
    """Rows committed while a download runs are not in it: SQLite reads its blocks of
    appeals in one read transaction, PostgreSQL's COPY is one statement."""
    from sqlalchemy import update

    from portal.models import Appeal

    appeals = [make_appeal(public_text=f"before {index}") for index in range(8)]
    batches = stream_rows(db.engine, "appeals", batch_rows=1)
    first = next(batches)  # the reading thread is at most a few blocks ahead now
    db.session.execute(update(Appeal).where(Appeal.id == appeals[-1].id).values(reopen_count=1))
    make_appeal(public_text="new")  # commits, while the download's reads are open
    db.session.commit()
    rows = pa.Table.from_batches([first, *batches])
    assert rows["text"].to_pylist() == [f"before {index}" for index in range(8)]
    assert rows["reopen_count"].to_pylist() == [0] * 8
