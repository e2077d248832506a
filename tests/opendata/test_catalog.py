"""opendata.catalog: datapackage.json, the data dictionary and the changelog."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from opendata import catalog, schema
from opendata.schema import DATASETS

CREATED = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Asia/Bishkek"))


def test_live_datapackage_lists_every_dataset_and_format():
    descriptor = catalog.datapackage(base_url="https://portal.test", created=CREATED)
    assert descriptor["$schema"].endswith("/2.0/datapackage.json")
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["version"] == schema.SCHEMA_VERSION
    assert descriptor["created"] == "2026-11-22T12:00:00+06:00"
    assert descriptor["sources"][0]["path"] == "https://portal.test"
    names = [r["name"] for r in descriptor["resources"]]
    assert len(names) == len(set(names)) == sum(len(d.formats) for d in DATASETS.values())
    appeals = next(r for r in descriptor["resources"] if r["name"] == "appeals")
    assert appeals["path"] == "appeals.csv" and appeals["mediatype"] == "text/csv"
    assert appeals["schema"]["primaryKey"] == ["id"]
    assert {"fields": ["service"], "reference": {"resource": "services", "fields": ["code"]}} in (
        appeals["schema"]["foreignKeys"]
    )
    assert all("bytes" not in r for r in descriptor["resources"])
    geo = next(r for r in descriptor["resources"] if r["name"] == "appeals-geojson")
    assert geo["mediatype"] == "application/geo+json" and geo["type"] == "file"


def test_snapshot_datapackage_has_sizes_and_hashes():
    files = {"appeals.csv": catalog.FileInfo(10, "ab" * 32)}
    descriptor = catalog.datapackage(base_url="https://p.test", created=CREATED, files=files)
    assert [r["path"] for r in descriptor["resources"]] == ["appeals.csv"]
    assert descriptor["resources"][0]["bytes"] == 10
    assert descriptor["resources"][0]["hash"] == "sha256:" + "ab" * 32


def test_descriptor_is_a_valid_data_package():
    frictionless = pytest.importorskip("frictionless")
    descriptor = catalog.datapackage(base_url="https://p.test", created=CREATED)
    report = frictionless.Package.validate_descriptor(descriptor)
    assert report.valid, report.flatten(["note"])


def test_hashing_writer_counts_and_hashes():
    raw = io.BytesIO()
    writer = catalog.HashingWriter(raw)
    writer.write(b"abc")
    writer.write("ы".encode())
    info = writer.info()
    assert info.bytes == 5 == len(raw.getvalue())
    assert info.sha256 == hashlib.sha256(raw.getvalue()).hexdigest()


def test_dictionary_covers_every_field():
    entries = dict((d.name, fields) for d, fields in catalog.dictionary())
    assert set(entries) == set(DATASETS)
    for name, fields in entries.items():
        assert [f.name for f in fields] == list(DATASETS[name].names)
    status = next(f for f in entries["appeals"] if f.name == "status")
    assert "answered" in status.allowed
    lat = next(f for f in entries["appeals"] if f.name == "lat")
    assert lat.anonymization == schema.ANON_POINT
    text = next(f for f in entries["appeals"] if f.name == "text")
    assert text.csv_guard and text.anonymization == schema.ANON_TEXT


def test_changelog_names_the_current_version_first():
    versions = [tuple(map(int, c.version.split("."))) for c in schema.CHANGELOG]
    assert versions == sorted(set(versions), reverse=True)  # newest first, each once
    assert ".".join(map(str, versions[0])) == schema.SCHEMA_VERSION
    assert all(change.changes for change in schema.CHANGELOG)
