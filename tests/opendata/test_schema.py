"""opendata.schema: the allowlist is complete, consistent and valid Table Schema."""

from __future__ import annotations

import re

import pytest

from opendata import schema
from opendata.schema import DATASETS

TABLE_TYPES = {"string", "integer", "number", "boolean", "datetime", "date", "yearmonth"}


@pytest.mark.parametrize("dataset", DATASETS.values(), ids=list(DATASETS))
def test_fields_are_described_and_typed(dataset):
    names = dataset.names
    assert len(set(names)) == len(names)
    for spec in dataset.fields:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.name)
        assert spec.type in TABLE_TYPES
        assert spec.description.strip().endswith((".", ")", "?"))
        assert spec.anonymization
    assert set(dataset.primary_key) <= set(names)
    for key in dataset.foreign_keys:
        assert set(key.fields) <= set(names)
        target = DATASETS[key.resource]
        assert set(key.reference_fields) <= set(target.names)
    if dataset.geometry:
        assert set(dataset.geometry) <= set(names)


@pytest.mark.parametrize("dataset", DATASETS.values(), ids=list(DATASETS))
def test_table_schema_is_valid_for_frictionless(dataset):
    frictionless = pytest.importorskip("frictionless")
    descriptor = dataset.table_schema({"city": ("bishkek", "osh")})
    report = frictionless.Schema.validate_descriptor(descriptor)
    assert report.valid, report.flatten(["note"])
    assert descriptor["missingValues"] == [""]
    assert descriptor["primaryKey"] == list(dataset.primary_key)


def test_reference_enums_are_filled_in():
    city = schema.APPEALS.field("city")
    assert "enum" not in city.constraints()
    assert city.constraints({"city": ("bishkek", "osh")})["enum"] == ["bishkek", "osh"]


def test_appeals_publish_the_issue_fields_and_nothing_private():
    names = set(schema.APPEALS.names)
    assert {
        "id", "city", "district", "category", "service", "status", "lat", "lon",
        "location_precision_m", "submitted_at", "published_at", "acknowledged_at",
        "first_answer_at", "closed_at", "due_at", "on_time", "first_answer_workdays",
        "reopen_count", "text", "latest_answer_text", "rating_score", "solved",
    } <= names  # fmt: skip
    for dataset in DATASETS.values():
        for spec in dataset.fields:
            assert not spec.name.startswith("private"), spec.name
            assert spec.name not in {"raw_text", "email", "phone", "name", "address"}


def test_free_text_fields_are_anonymized_text():
    for dataset in DATASETS.values():
        for spec in dataset.fields:
            if spec.free_text and spec.name != "extension_reason":
                assert spec.anonymization == schema.ANON_TEXT, (dataset.name, spec.name)


def test_opendata_does_not_import_the_portal_or_frameworks():
    from pathlib import Path

    package = Path(schema.__file__).parent
    for module in ("schema.py", "exports.py", "catalog.py", "columns.py", "cells.py", "parquet.py"):
        source = (package / module).read_text()
        assert not re.search(r"^\s*(from|import) (flask|sqlalchemy|portal)\b", source, re.M)
