"""The datasets blueprint: downloads, filters, privacy, tombstones, datapackage, pages."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from flask import url_for
from sqlalchemy import select, text

from opendata import exports, schema
from portal.extensions import db
from portal.models import (
    Answer,
    AppealStatus,
    City,
    Rating,
    RejectionReason,
    Solved,
)
from portal.services.publication import fixture_writes
from portal.workdays import BISHKEK

SECRET_TEXT = "Меня зовут Айгуль Тестова, телефон +996 555 123 456, квартира 12."
SCRUBBED = "Меня зовут [ИМЯ], телефон [ТЕЛЕФОН], квартира [НОМЕР]."
EXACT = (42.874321, 74.612345)


def today() -> str:
    return datetime.now(UTC).astimezone(BISHKEK).date().isoformat()


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def public_text(response, fmt: str) -> str:
    """A download as text; a Parquet file as every value it holds, and its column names."""
    if not exports.FORMATS[fmt].binary:
        return response.get_data(as_text=True)
    table = pq.read_table(io.BytesIO(response.get_data()))
    return repr((table.column_names, table.to_pylist()))


@pytest.fixture
def appeals(app, make_appeal, make_answer):
    """Published appeals in both cities, plus appeals that must never be published."""
    made = {
        "pothole": make_appeal(
            text=SECRET_TEXT,
            public_text=SCRUBBED,
            lat=EXACT[0],
            lon=EXACT[1],
            contact={"email": "aigul@example.kg"},
        ),  # fmt: skip
        "heating": make_appeal(category="no_heating", lat=42.84, lon=74.55),
        "osh": make_appeal(city="osh", category="pothole", lat=40.52, lon=72.80),
        "old": make_appeal(submitted_at=datetime(2025, 1, 10, 6, tzinfo=UTC)),
        "pending": make_appeal(status=AppealStatus.SUBMITTED, text="Ещё не проверено модератором"),
        "rejected": make_appeal(status=AppealStatus.REJECTED, text="Спам спам спам"),
    }
    first = make_answer(made["pothole"], text="Первый ответ службы.",
                        at=datetime.now(UTC) - timedelta(hours=5))  # fmt: skip
    make_answer(made["pothole"], text="Последний ответ службы.",
                at=datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    db.session.add(
        Answer(
            appeal_id=made["heating"].id,
            service_id=made["heating"].service_id,
            round=1,
            private_raw_text="Черновик ответа с ФИО сотрудника",
            private_internal_note="внутренняя заметка",
            needs_moderation=True,  # held by the publication gate
        )  # fmt: skip
    )
    with fixture_writes():
        rating = Rating(
            appeal_id=made["pothole"].id,
            answer_id=first.id,
            service_id=made["pothole"].service_id,
            score=2,
            solved=Solved.NO,
            public_comment="Ответ не по существу",
            private_comment="Айгуль недовольна",
        )  # fmt: skip
    db.session.add(rating)
    made["pothole"].last_score, made["pothole"].last_solved = 2, Solved.NO
    db.session.commit()
    return made


@pytest.fixture
def withdrawn(app, make_appeal):
    plain = make_appeal(text="Отозванное обращение")
    plain.status = AppealStatus.WITHDRAWN
    plain.withdrawn_at = datetime(2026, 3, 1, 6, tzinfo=UTC)
    abusive = make_appeal(text="Оскорбительное обращение")
    abusive.status = AppealStatus.WITHDRAWN
    abusive.rejection_reason = RejectionReason.ABUSE
    abusive.withdrawn_at = datetime(2026, 3, 2, 6, tzinfo=UTC)
    db.session.commit()
    return plain, abusive


@pytest.mark.parametrize("fmt", list(exports.FORMATS))
def test_download_headers_and_streaming(client, appeals, fmt):
    response = client.get(f"/datasets/appeals.{fmt}")
    assert response.status_code == 200
    spec = exports.FORMATS[fmt]
    assert response.headers["Content-Type"] == spec.media_type
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="appeals-{today()}.{spec.suffix}"'
    )
    assert response.is_streamed  # a generator, not a body built in memory
    assert not isinstance(response.response, list | tuple | bytes)
    assert response.headers["Link"] == '</datasets/datapackage.json>; rel="describedby"'


def test_csv_content_type_is_exactly_the_issue_one(client, appeals):
    assert client.get("/datasets/appeals.csv").headers["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get("/datasets/appeals.geojson").mimetype == "application/geo+json"
    assert client.get("/datasets/appeals.geojsonseq").mimetype == "application/geo+json-seq"


def test_appeals_csv_has_only_published_appeals_with_public_fields(client, appeals):
    rows = csv_rows(client.get("/datasets/appeals.csv"))
    ids = {row["id"] for row in rows}
    assert ids == {appeals[k].public_id for k in ("pothole", "heating", "osh", "old")}
    pothole = next(r for r in rows if r["id"] == appeals["pothole"].public_id)
    assert pothole["text"] == SCRUBBED
    assert pothole["latest_answer_text"] == "Последний ответ службы."
    assert pothole["rating_score"] == "2" and pothole["solved"] == "no"
    assert pothole["submitted_at"].endswith("+06:00")
    assert pothole["city"] == "bishkek" and pothole["category"] == "pothole"


def test_private_data_appears_in_no_download(client, appeals, withdrawn):
    forbidden = [
        "Айгуль", "+996 555 123 456", "aigul@example.kg", str(EXACT[0]), str(EXACT[1]),
        "Ещё не проверено", "Спам спам", "Черновик ответа", "внутренняя заметка", "недовольна",
        "Отозванное обращение", "Оскорбительное",
    ]  # fmt: skip
    for dataset in schema.DATASETS.values():
        for fmt in dataset.formats:
            body = public_text(client.get(f"/datasets/{dataset.name}.{fmt}"), fmt)
            for sentinel in forbidden:
                assert sentinel not in body, (dataset.name, fmt, sentinel)


def test_withdrawn_appeals_stay_as_tombstones(client, appeals, withdrawn):
    plain, abusive = withdrawn
    rows = csv_rows(client.get("/datasets/withdrawn.csv"))
    assert [(r["id"], r["reason"]) for r in rows] == [
        (plain.public_id, "withdrawn"),
        (abusive.public_id, "abuse"),
    ]
    assert rows[0]["withdrawn_at"] == "2026-03-01T12:00:00+06:00"
    assert set(rows[0]) == {"id", "city", "withdrawn_at", "reason"}
    appeal_ids = {r["id"] for r in csv_rows(client.get("/datasets/appeals.csv"))}
    assert plain.public_id not in appeal_ids


def test_answers_and_ratings(client, appeals):
    answers = csv_rows(client.get("/datasets/answers.csv"))
    # Every answer given is listed; a held one without its text, saying it is checked.
    assert [(a["text"], a["in_moderation"]) for a in answers] == [
        ("Первый ответ службы.", "false"),
        ("Последний ответ службы.", "false"),
        ("", "true"),
    ]
    assert [a["appeal_id"] for a in answers] == [
        appeals["pothole"].public_id,
        appeals["pothole"].public_id,
        appeals["heating"].public_id,
    ]
    ratings = json.loads(client.get("/datasets/ratings.json").get_data())
    assert ratings == [
        {
            "answer_id": int(answers[0]["id"]),
            "appeal_id": appeals["pothole"].public_id,
            "service": "bsk-roads",
            "created_at": ratings[0]["created_at"],
            "score": 2,
            "solved": "no",
            "reason": None,
            "comment": "Ответ не по существу",
        }
    ]


def test_reference_datasets(client, app):
    services = csv_rows(client.get("/datasets/services.csv"))
    assert {"bsk-roads", "osh-vodokanal"} <= {s["code"] for s in services}
    assert all(s["name_ru"] and s["name_ky"] and s["name_en"] for s in services)
    categories = csv_rows(client.get("/datasets/categories.csv?city=osh"))
    assert categories and {c["city"] for c in categories} == {"osh"}
    assert {c["privacy_tier"] for c in categories} <= {"public", "home", "sensitive"}
    assert all(int(c["deadline_days"]) >= 1 for c in categories)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("city=osh", {"osh"}),
        ("city=bishkek&category=no_heating", {"heating"}),
        ("status=published&city=osh", {"osh"}),
        ("date_to=2025-12-31", {"old"}),
        ("date_from=2026-01-01&city=bishkek", {"pothole", "heating"}),
        ("bbox=72.7,40.4,72.9,40.6", {"osh"}),
        ("bbox=74.0,42.0,75.0,43.0&category=pothole&date_from=2026-01-01", {"pothole"}),
    ],
)
def test_shared_filters_apply_to_every_format(client, appeals, query, expected):
    ids = {appeals[k].public_id for k in expected}
    assert {r["id"] for r in csv_rows(client.get(f"/datasets/appeals.csv?{query}"))} == ids
    collection = json.loads(client.get(f"/datasets/appeals.geojson?{query}").get_data())
    assert {f["id"] for f in collection["features"]} == ids
    objects = json.loads(client.get(f"/datasets/appeals.json?{query}").get_data())
    assert {o["id"] for o in objects} == ids


def test_filters_apply_to_answers_through_their_appeal(client, appeals):
    assert csv_rows(client.get("/datasets/answers.csv?city=osh")) == []
    assert len(csv_rows(client.get("/datasets/answers.csv?city=bishkek"))) == 3


def test_map_download_link_carries_the_view(app, client, appeals):
    with app.test_request_context():
        url = url_for("datasets.download", name="appeals", fmt="csv", city="osh",
                      bbox="72.7,40.4,72.9,40.6")  # fmt: skip
    assert {r["id"] for r in csv_rows(client.get(url))} == {appeals["osh"].public_id}


@pytest.mark.parametrize(
    "query",
    [
        "city=Bishkek!",
        "status=rejected",
        "bbox=1,2,3",
        "date_from=2026-13-01",
        "date_from=2026-02-01&date_to=2026-01-01",
    ],  # fmt: skip
)
def test_bad_filters_are_a_400_with_errors(client, app, query):
    response = client.get(f"/datasets/appeals.csv?{query}")
    assert response.status_code == 400
    assert response.is_json and response.get_json()["errors"]


def test_unknown_datasets_and_formats_are_404(client, app):
    assert client.get("/datasets/answers.geojson").status_code == 404
    assert client.get("/datasets/contacts.csv").status_code == 404
    assert client.get("/datasets/appeals.xlsx").status_code == 404


def test_coordinates_lie_inside_their_city(client, app, appeals):
    extents = {c.slug: c for c in db.session.scalars(select(City))}
    features = json.loads(client.get("/datasets/appeals.geojson").get_data())["features"]
    points = [f for f in features if f["geometry"]]
    assert len(points) == 4
    for feature in points:
        lon, lat = feature["geometry"]["coordinates"]
        assert extents[feature["properties"]["city"]].contains(lat=lat, lon=lon), feature["id"]
        assert len(str(lon).split(".")[1]) <= 6 and len(str(lat).split(".")[1]) <= 6


def test_download_is_read_in_batches(client, app, make_appeal, monkeypatch):
    from portal.queries import exports as queries

    for _ in range(7):
        make_appeal()
    batches = []
    original = queries.stream_rows

    def spy(*args, **kwargs):
        kwargs["batch_rows"] = 2
        for batch in original(*args, **kwargs):
            batches.append(len(batch))
            yield batch

    monkeypatch.setattr("portal.datasets.views.stream_rows", spy)
    response = client.get("/datasets/appeals.csv")
    assert len(csv_rows(response)) == 7
    assert batches == [2, 2, 2, 1]


def test_service_performance_dataset_uses_the_performance_figures(client, app, appeals):
    from portal.queries.exports import performance_window
    from portal.queries.performance import monthly_service_performance
    from portal.schemas.filters import AppealFilters

    start, end = date(2025, 1, 1), date(2026, 12, 31)
    rows = csv_rows(
        client.get(f"/datasets/service_performance.csv?date_from={start}&date_to={end}")
    )
    expected = monthly_service_performance(start, end)
    assert len(rows) == len(expected) > 0
    assert [(r["service"], r["month"]) for r in rows] == [(e.service, e.month) for e in expected]
    assert all(r["suppressed"] == "true" and r["received"] == "" for r in rows)  # < 5 appeals
    assert performance_window(AppealFilters(date_from=start, date_to=end)) == (start, end)


def test_datapackage_endpoint(client, app):
    response = client.get("/datasets/datapackage.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    descriptor = response.get_json()
    appeals = next(r for r in descriptor["resources"] if r["name"] == "appeals")
    assert appeals["path"] == "http://portal.test/datasets/appeals.csv"
    city = next(f for f in appeals["schema"]["fields"] if f["name"] == "city")
    assert city["constraints"]["enum"] == ["bishkek", "osh"]
    assert descriptor["licenses"][0]["path"] == "https://creativecommons.org/licenses/by/4.0/"


def test_index_page(client, app):
    page = client.get("/datasets/").get_data(as_text=True)
    for dataset in schema.DATASETS.values():
        for fmt in dataset.formats:
            assert f"/datasets/{dataset.name}.{fmt}" in page
    assert "CC-BY-4.0" in page and "/datasets/dictionary" in page
    assert "/datasets/datapackage.json" in page and "/datasets/changelog" in page


def test_the_datasets_page_counts_rows_once_per_version_of_the_public_record(
    client, make_appeal, monkeypatch
):
    """A COUNT of every dataset takes seconds at 1M appeals: /datasets/ counts once per
    "data as of", and a public change is counted at once."""
    from portal.datasets import catalogue
    from portal.models import utcnow

    counts, count_rows = [], catalogue._count_rows
    monkeypatch.setattr(catalogue, "_count_rows", lambda: counts.append(count_rows()) or counts[-1])
    make_appeal(submitted_at=utcnow() - timedelta(days=2))
    for _ in range(3):
        assert client.get("/datasets/").status_code == 200
    assert [c["appeals"] for c in counts] == [1]
    make_appeal(submitted_at=utcnow() - timedelta(hours=1))
    assert client.get("/datasets/").status_code == 200
    assert [c["appeals"] for c in counts] == [1, 2]


def test_after_a_public_change_the_datasets_page_does_not_wait_for_the_counts(
    app, client, make_appeal, monkeypatch
):
    """On a busy portal the public record changes every minute: /datasets/ answers with the
    previous counts at once while one thread counts again, then with the new counts."""
    import threading

    from portal.datasets import catalogue
    from portal.models import utcnow

    app.config["BACKGROUND_REFRESH"] = True
    counted, count_rows = threading.Event(), catalogue._count_rows
    monkeypatch.setattr(catalogue, "_count_rows", lambda: counted.wait(30) and count_rows())

    def rows_of_appeals() -> str:
        return appeal_rows_shown(client)

    make_appeal(submitted_at=utcnow() - timedelta(days=2))
    counted.set()
    assert rows_of_appeals() == "1"  # the first count of a process: the request counts
    counted.clear()
    make_appeal(submitted_at=utcnow() - timedelta(hours=1))
    assert rows_of_appeals() == "1"  # counting is blocked: the previous figure, at once
    assert rows_of_appeals() == "1"  # ... and only one thread counts
    refreshes = [t for t in threading.enumerate() if t.name == "datasets-rows"]
    assert len(refreshes) == 1
    counted.set()
    refreshes[0].join(timeout=30)
    assert rows_of_appeals() == "2"


def appeal_rows_shown(client) -> str:
    """The row count /datasets/ shows for the appeals dataset."""
    page = client.get("/datasets/?lang=en").get_data(as_text=True)
    return page.split('id="dataset-appeals"', 1)[1].split('class="rows">', 1)[1].split("<", 1)[0]


def test_a_new_worker_answers_with_the_counts_another_worker_made(
    app, client, make_app, make_appeal, monkeypatch
):
    """The workers of one machine share their figures (in files without Redis): a worker
    just started, or restarted after a deploy, shows /datasets/ with the counts another
    made instead of making its first visitor wait for a COUNT of every dataset (5 s at 1M
    appeals); after a change it shows the previous counts while a thread counts again."""
    import threading

    from portal.datasets import catalogue
    from portal.models import utcnow

    make_appeal(submitted_at=utcnow() - timedelta(days=2))
    assert appeal_rows_shown(client) == "1"

    def count_rows_again():
        raise AssertionError("the new worker counted the rows itself")

    same_machine = {"RATELIMIT_KEY_PREFIX": app.config["RATELIMIT_KEY_PREFIX"]}
    with monkeypatch.context() as patch:
        patch.setattr(catalogue, "_count_rows", count_rows_again)
        assert appeal_rows_shown(make_app(**same_machine).test_client()) == "1"

    make_appeal(submitted_at=utcnow() - timedelta(hours=1))
    counted, count_rows = threading.Event(), catalogue._count_rows
    monkeypatch.setattr(catalogue, "_count_rows", lambda: counted.wait(30) and count_rows())
    restarted = make_app(BACKGROUND_REFRESH=True, **same_machine).test_client()
    assert appeal_rows_shown(restarted) == "1"  # at once, while a thread counts
    counted.set()
    for thread in threading.enumerate():
        if thread.name == "datasets-rows":
            thread.join(timeout=30)
    assert appeal_rows_shown(restarted) == "2"


def test_dictionary_page_lists_every_field_and_its_anonymization(client, app):
    page = client.get("/datasets/dictionary?lang=en").get_data(as_text=True)
    for dataset in schema.DATASETS.values():
        assert f'id="{dataset.name}"' in page
        for spec in dataset.fields:
            assert f'id="{dataset.name}-{spec.name}"' in page
    assert "hexagonal cell" in page  # the masking note
    assert "apostrophe" in page  # the CSV injection rule is documented


def test_changelog_page(client, app):
    page = client.get("/datasets/changelog").get_data(as_text=True)
    assert schema.SCHEMA_VERSION in page


def test_public_vocabulary_matches_the_portal():
    from portal.models import PUBLIC_STATUSES, RatingReason, Resolution

    assert set(schema.PUBLIC_STATUSES) == {s.value for s in PUBLIC_STATUSES}
    assert set(schema.RESOLUTIONS) == {r.value for r in Resolution}
    assert set(schema.SOLVED) == {s.value for s in Solved}
    assert set(schema.RATING_REASONS) == {r.value for r in RatingReason}
    assert set(schema.WITHDRAWAL_REASONS) == {r.value for r in RejectionReason} | {"withdrawn"}


@pytest.mark.parametrize(
    "lang, heading, masking",
    [
        ("ru", "Словарь данных", "шестиугольной"),
        ("ky", "Маалыматтар сөздүгү", "алты бурчтуу"),
        ("en", "Data dictionary", "hexagonal"),
    ],  # fmt: skip
)
def test_dictionary_is_translated(client, app, lang, heading, masking):
    page = client.get(f"/datasets/dictionary?lang={lang}").get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page and masking in page


def test_every_catalog_message_is_translated():
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2] / "portal/translations/datasets"
    for lang in ("ru", "ky", "en"):
        with open(root / lang / "LC_MESSAGES/messages.po", "rb") as handle:
            catalog = read_po(handle)
        missing = [m.id for m in catalog if m.id and not m.string]
        assert not missing, (lang, missing[:3])
        assert (root / lang / "LC_MESSAGES/messages.mo").exists()


def test_a_dropped_download_releases_its_query(client, app, make_appeal, monkeypatch):
    from portal.queries import exports as queries

    for _ in range(5):
        make_appeal()
    state = {"closed": False}
    original = queries.stream_rows

    def tracked(*args, **kwargs):
        kwargs["batch_rows"] = 1
        try:
            yield from original(*args, **kwargs)
        finally:
            state["closed"] = True

    monkeypatch.setattr("portal.datasets.views.stream_rows", tracked)
    monkeypatch.setattr("opendata.exports.CHUNK_BYTES", 1)
    response = client.get("/datasets/appeals.csv", buffered=False)
    chunks = response.response
    next(iter(chunks))
    assert not state["closed"]
    response.close()  # what the server does when the client goes away
    assert state["closed"]


def test_a_dropped_download_returns_its_connection_and_stops_reading(app, make_appeal):
    import threading
    import time

    from portal.extensions import db
    from portal.queries.exports import stream_rows
    from portal.queries.postgres_arrow import APPLICATION_NAME

    def open_reads() -> int:
        """Connections reading a download: the pool's on SQLite, the driver's own on
        PostgreSQL (listed by the server under the download's application name)."""
        if db.engine.dialect.name == "sqlite":
            return db.engine.pool.checkedout()
        with db.engine.connect() as conn:
            listed = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
            return conn.execute(text(listed), {"name": APPLICATION_NAME}).scalar()

    for _ in range(6):
        make_appeal()
    batches = stream_rows(db.engine, "appeals", batch_rows=1)
    assert next(batches).num_rows == 1
    assert open_reads() == 1  # the reading thread, ahead of the download
    batches.close()
    waited = 0.0
    while open_reads() and waited < 5:  # the server ends a closed connection's backend soon
        time.sleep(0.05)
        waited += 0.05
    assert open_reads() == 0
    assert not [t for t in threading.enumerate() if t.name == "export-read-ahead"]


def test_an_error_while_reading_ahead_reaches_the_download():
    from portal.queries.exports import read_ahead

    def failing():
        yield 1
        raise OSError("disk I/O error")

    items = read_ahead(failing)
    assert next(items) == 1
    with pytest.raises(OSError, match="disk I/O error"):
        next(items)


def parquet_frame(response):
    import pandas

    assert response.status_code == 200
    # Nullable booleans and integers keep their types (numpy's bool and int64 have no null).
    return pandas.read_parquet(io.BytesIO(response.get_data()), dtype_backend="numpy_nullable")


@pytest.mark.parametrize("name", ["appeals", "answers", "ratings", "service_performance"])
def test_parquet_has_the_rows_of_the_csv_with_typed_columns(client, appeals, name):
    query = "?date_from=2025-01-01" if name == "service_performance" else ""
    frame = parquet_frame(client.get(f"/datasets/{name}.parquet{query}"))
    rows = csv_rows(client.get(f"/datasets/{name}.csv{query}"))
    dataset = schema.dataset(name)
    assert list(frame.columns) == list(dataset.names)
    assert len(frame) == len(rows) > 0
    key = dataset.primary_key[0]
    assert [str(v) for v in frame[key]] == [r[key] for r in rows]  # same rows, same order
    for spec in dataset.fields:
        dtype = str(frame[spec.name].dtype)
        if spec.type == "datetime":
            assert dtype == "datetime64[ms, Asia/Bishkek]", spec.name
        elif spec.type == "boolean":
            assert dtype == "boolean", (spec.name, dtype)
        elif spec.type == "integer":
            assert dtype == "Int64", (spec.name, dtype)


def test_parquet_of_appeals_matches_the_csv_values(client, appeals):
    import pandas

    frame = parquet_frame(client.get("/datasets/appeals.parquet"))
    rows = {r["id"]: r for r in csv_rows(client.get("/datasets/appeals.csv"))}
    assert str(frame["lat"].dtype) == "Float64" and str(frame["lon"].dtype) == "Float64"
    for record in frame.to_dict("records"):
        row = rows[record["id"]]
        assert record["submitted_at"].isoformat() == row["submitted_at"]
        assert f"{record['lat']:.6f}".rstrip("0") == f"{float(row['lat']):.6f}".rstrip("0")
        assert str(record["deadline_extended"]).lower() == row["deadline_extended"]
        assert record["text"] == row["text"]
        on_time = "" if pandas.isna(record["on_time"]) else str(record["on_time"]).lower()
        assert on_time == row["on_time"]


@pytest.mark.parametrize(
    "query, expected",
    [("city=osh", {"osh"}), ("date_to=2025-12-31", {"old"}), ("bbox=72.7,40.4,72.9,40.6", {"osh"})],
)
def test_filters_apply_to_parquet(client, appeals, query, expected):
    frame = parquet_frame(client.get(f"/datasets/appeals.parquet?{query}"))
    assert set(frame["id"]) == {appeals[k].public_id for k in expected}
    answers = parquet_frame(client.get("/datasets/answers.parquet?city=osh"))
    assert len(answers) == 0 and list(answers.columns) == list(schema.ANSWERS.names)


def test_parquet_is_described_in_the_datapackage(client, app):
    descriptor = client.get("/datasets/datapackage.json").get_json()
    parquet = {r["name"]: r for r in descriptor["resources"] if r["format"] == "parquet"}
    assert set(parquet) == {f"{n}-parquet" for n in
                            ("appeals", "answers", "ratings", "service_performance")}  # fmt: skip
    assert parquet["appeals-parquet"]["mediatype"] == "application/vnd.apache.parquet"
    assert parquet["appeals-parquet"]["path"].endswith("/datasets/appeals.parquet")
    assert "timestamps with time zone" in parquet["appeals-parquet"]["description"]


@pytest.mark.parametrize(
    "lang, words",
    [("en", "timestamps with time zone"), ("ru", "метки времени с часовым поясом"),
     ("ky", "саат алкагы бар убакыт белгиси")],
)  # fmt: skip
def test_dictionary_describes_the_parquet_types(client, app, lang, words):
    page = client.get(f"/datasets/dictionary?lang={lang}").get_data(as_text=True)
    assert "Parquet" in page and words in page
    assert "numpy_nullable" in page


def test_datasets_page_tells_a_journalist_what_is_there_and_how_to_cite_it(
    client, app, appeals, runner
):
    from portal.datasets.views import snapshot_dir

    page = client.get("/datasets/?lang=en").get_data(as_text=True)
    row = page.split('id="dataset-appeals"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="rows">4</td>' in row  # the four published appeals of the fixture
    assert "2025-01-10" in page  # the oldest published appeal starts the covered span
    for link in ("/api/v1/appeals", "/api/openapi.json", "/open311/v2/discovery.json",
                 "/feeds/appeals.atom", f"mailto:{app.config['CONTACT_EMAIL']}"):  # fmt: skip
        assert link in page, link
    assert "Suggested citation" in page and "No snapshot has been published yet" in page
    assert "MB)" not in row  # no sizes before a snapshot exists

    assert runner.invoke(args=["publish", "--out", str(snapshot_dir())]).exit_code == 0
    page = client.get("/datasets/?lang=ru").get_data(as_text=True)
    row = page.split('id="dataset-appeals"', 1)[1].split("</tr>", 1)[0]
    assert "MB)" in row and "Как ссылаться" in page
    assert f"снимок от {today()}" in page
