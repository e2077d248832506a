"""``portal publish``: a complete, valid, atomic snapshot that real tools can read."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from opendata import catalog, schema
from portal.extensions import db
from portal.models import City
from portal.workdays import BISHKEK

SEEDED = 300


def local_today() -> str:
    return datetime.now(UTC).astimezone(BISHKEK).date().isoformat()


@pytest.fixture
def seeded(app):
    """A small but realistic demo history (answers, ratings, reopenings, sensitive points)."""
    from portal.demo.seeding import seed_demo
    from portal.services.core import work_calendar

    with db.engine.begin() as conn:
        seed_demo(conn, SEEDED, seed=3, today=date.today(), calendar=work_calendar())
    return app


def publish(runner, out: Path):
    result = runner.invoke(args=["publish", "--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


@pytest.fixture
def snapshot(seeded, runner, tmp_path) -> Path:
    result = publish(runner, tmp_path / "out")
    assert "Rows" in result.output  # the progress bar
    assert "Published" in result.output
    folder = tmp_path / "out" / local_today()
    assert folder.is_dir()
    return folder


def test_snapshot_holds_every_dataset_in_every_format(snapshot):
    expected = {catalog.file_name(d, f) for d in schema.DATASETS.values() for f in d.formats}
    assert {p.name for p in snapshot.iterdir()} == expected | {"datapackage.json"}
    descriptor = json.loads((snapshot / "datapackage.json").read_text("utf-8"))
    assert {r["path"] for r in descriptor["resources"]} == expected
    for resource in descriptor["resources"]:
        info = catalog.file_info(snapshot / resource["path"])
        assert resource["bytes"] == info.bytes
        assert resource["hash"] == f"sha256:{info.sha256}"


def test_frictionless_validates_the_snapshot(snapshot):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(snapshot / "datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "note"])[:10]


def test_gdal_reads_geojson_geojsonseq_and_csv(snapshot):
    pyogrio = pytest.importorskip("pyogrio")
    with open(snapshot / "appeals.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > SEEDED // 2
    csv_options = {"X_POSSIBLE_NAMES": "lon", "Y_POSSIBLE_NAMES": "lat", "AUTODETECT_TYPE": "YES"}
    for name, options in (("appeals.geojson", {}), ("appeals.geojsonseq", {}),
                          ("appeals.csv", csv_options)):  # fmt: skip
        info = pyogrio.read_info(snapshot / name, **options)
        assert info["features"] == len(rows), name
        assert info["geometry_type"] == "Point", name
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types["first_answer_workdays"] == "int32", name
        assert types["submitted_at"].startswith("datetime64"), name
        assert types["text"] == "object", name
        assert types["on_time"] == "bool", name


def test_ogrinfo_reads_the_geojson(snapshot):
    import shutil
    import subprocess

    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("ogrinfo (gdal-bin) is not installed")
    out = subprocess.run([ogrinfo, "-ro", "-so", "-al", str(snapshot / "appeals.geojson")],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    count = len(json.loads((snapshot / "appeals.geojson").read_text("utf-8"))["features"])
    assert f"Feature Count: {count}" in out
    assert "Geometry: Point" in out


def test_every_point_lies_inside_its_city(snapshot, app):
    extents = {c.slug: c for c in db.session.scalars(select(City))}
    collection = json.loads((snapshot / "appeals.geojson").read_text("utf-8"))
    points = [f for f in collection["features"] if f["geometry"]]
    assert points
    for feature in points:
        lon, lat = feature["geometry"]["coordinates"]
        assert extents[feature["properties"]["city"]].contains(lat=lat, lon=lon), feature["id"]
    sensitive = [f for f in collection["features"] if f["geometry"] is None]
    assert all(f["properties"]["location_precision_m"] is None for f in sensitive)


def test_pandas_reads_cyrillic_back(snapshot):
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(snapshot / "appeals.csv", dtype=str, keep_default_na=False)
    with open(snapshot / "appeals.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(frame["text"]) == [r["text"] for r in rows]
    assert any("а" <= ch <= "я" for ch in "".join(frame["text"]))
    typed = pandas.read_csv(snapshot / "appeals.csv")
    excel = pandas.read_csv(snapshot / "appeals.excel.csv", sep=";", decimal=",",
                            encoding="utf-8-sig")  # fmt: skip
    assert excel.equals(typed)  # the same table, numbers included, in Excel's dialect


@pytest.mark.parametrize("name", ["appeals", "answers", "ratings", "service_performance"])
def test_snapshot_parquet_holds_the_csv_rows_with_types(snapshot, name):
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(snapshot / f"{name}.parquet", dtype_backend="numpy_nullable")
    with open(snapshot / f"{name}.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    dataset = schema.dataset(name)
    assert list(frame.columns) == list(dataset.names) and len(frame) == len(rows)
    for spec in dataset.fields:
        cells = [r[spec.name] for r in rows]
        values = frame[spec.name]
        if spec.type == "datetime":
            assert str(values.dtype) == "datetime64[ms, Asia/Bishkek]"
            assert [v.isoformat() if not pandas.isna(v) else "" for v in values] == cells
        elif spec.type == "boolean":
            assert str(values.dtype) == "boolean"
            assert ["" if pandas.isna(v) else str(v).lower() for v in values] == cells
        elif spec.type == "integer":
            assert str(values.dtype) == "Int64"
            assert ["" if pandas.isna(v) else str(v) for v in values] == cells
    if name == "appeals":
        assert frame["lat"].notna().sum() > 0 and str(frame["lat"].dtype) == "Float64"


def visible(out) -> list[str]:
    """What a person listing the folder sees (runs and the lock are hidden)."""
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def test_publish_is_atomic(seeded, runner, tmp_path, monkeypatch):
    out = tmp_path / "out"
    publish(runner, out)
    before = {p.name: p.read_bytes() for p in (out / local_today()).iterdir()}

    from opendata import exports

    seeded.config["PUBLISH_WORKERS"] = 1  # the patched writer runs in this process

    original = exports.MultiWriter.write

    def failing(self, batch):
        if self.dataset.name == "ratings":
            raise OSError("disk full")
        return original(self, batch)

    monkeypatch.setattr(exports.MultiWriter, "write", failing)
    result = runner.invoke(args=["publish", "--out", str(out)])
    assert result.exit_code != 0
    assert visible(out) == [local_today(), "current"]  # no temporary folder
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
    after = {p.name: p.read_bytes() for p in (out / local_today()).iterdir()}
    assert after == before  # the earlier snapshot is untouched


def test_failed_first_publish_leaves_nothing(seeded, runner, tmp_path, monkeypatch):
    from opendata import exports

    seeded.config["PUBLISH_WORKERS"] = 1  # the patched writer runs in this process

    def failing(self, batch):
        raise RuntimeError("boom")

    monkeypatch.setattr(exports.MultiWriter, "write", failing)
    out = tmp_path / "out"
    result = runner.invoke(args=["publish", "--out", str(out)])
    assert result.exit_code != 0
    assert visible(out) == []
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


def test_publishing_again_replaces_the_days_snapshot(seeded, runner, tmp_path, make_appeal):
    out = tmp_path / "out"
    publish(runner, out)
    first = (out / local_today() / "appeals.csv").read_bytes()
    make_appeal()
    publish(runner, out)
    assert visible(out) == [local_today(), "current"]
    assert (out / local_today() / "appeals.csv").read_bytes() != first


def test_snapshots_are_listed_and_served(seeded, runner, client, app):
    from portal.datasets.views import snapshot_dir

    out = snapshot_dir()
    publish(runner, out)
    page = client.get("/datasets/").get_data(as_text=True)
    day = local_today()
    assert f"/datasets/snapshots/{day}/appeals.csv" in page
    assert f"/datasets/snapshots/{day}/datapackage.json" in page
    response = client.get(f"/datasets/snapshots/{day}/appeals.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data() == (out / day / "appeals.csv").read_bytes()
    assert client.get(f"/datasets/snapshots/{day}/appeals.geojson").mimetype == (
        "application/geo+json"
    )
    for bad in (f"{day}/..%2F..%2Fportal.db", "2026-13-99/appeals.csv", f"{day}/secret.txt"):
        assert client.get(f"/datasets/snapshots/{bad}").status_code == 404


def test_worker_processes_write_the_same_bytes_as_one_process(seeded, runner, tmp_path):
    """``PUBLISH_WORKERS`` datasets written in parallel processes: the same files, and a
    datapackage.json listing the same sizes and hashes, as written one after another."""
    seeded.config["PUBLISH_WORKERS"] = 1
    publish(runner, tmp_path / "serial")
    seeded.config["PUBLISH_WORKERS"] = 2
    publish(runner, tmp_path / "parallel")
    serial, parallel = (tmp_path / name / local_today() for name in ("serial", "parallel"))
    names = sorted(p.name for p in serial.iterdir())
    assert names == sorted(p.name for p in parallel.iterdir())
    for name in names:
        if name != "datapackage.json":
            assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name
    resources = [json.loads((folder / "datapackage.json").read_text("utf-8"))["resources"]
                 for folder in (serial, parallel)]  # fmt: skip
    assert resources[0] == resources[1]


def test_an_error_in_a_worker_process_reaches_the_publisher(seeded, tmp_path):
    from portal.datasets import snapshot_workers

    reports = []
    with pytest.raises(KeyError):  # raised in a worker process, re-raised here
        snapshot_workers.write_in_workers(
            db.engine, tmp_path, ["appeals", "no_such_dataset"], {}, 2, reports.append,
            meanwhile=dict,
        )  # fmt: skip
