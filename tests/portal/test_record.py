"""One public record: opendata.schema declares the fields, portal.queries.record maps each
to SQL once, and everything public derives from the two by field name."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from opendata import schema
from opendata.records import AppealRecord
from portal import models
from portal.queries.exports import dataset_query
from portal.queries.record import APPEAL, TABLES, PublishedTable
from portal.schemas.filters import AppealFilters

ROOT = Path(__file__).resolve().parents[2]


def test_every_sql_dataset_is_mapped_field_by_field():
    computed = {schema.PERFORMANCE.name}  # figures from opendata.stats, not a SELECT
    assert set(TABLES) == set(schema.DATASETS) - computed
    for name, table in TABLES.items():
        assert table.dataset is schema.dataset(name)
        assert set(table.columns) == set(table.dataset.names)


def test_a_mapping_that_misses_or_adds_a_field_is_refused():
    columns = dict(APPEAL.columns)
    extra = columns.pop("channel")
    with pytest.raises(RuntimeError, match="fields without SQL \\['channel'\\]"):
        PublishedTable(schema.APPEALS, columns, APPEAL.source, APPEAL.apply_filters)
    with pytest.raises(RuntimeError, match="SQL without a published field \\['raw'\\]"):
        PublishedTable(
            schema.APPEALS, {**APPEAL.columns, "raw": extra}, APPEAL.source, APPEAL.apply_filters
        )


@pytest.mark.parametrize("name", sorted(TABLES))
def test_download_queries_select_the_dataset_fields_in_order(app, name):
    query = dataset_query(name, AppealFilters())
    assert tuple(column.name for column in query.selected_columns) == schema.dataset(name).names


def test_the_record_type_is_generated_from_the_schema():
    attributes = [spec.attribute for spec in schema.APPEALS.fields]
    assert [f.name for f in dataclasses.fields(AppealRecord)] == attributes
    assert "public_id" in attributes and "id" not in attributes  # never a database key


def test_the_portal_enums_are_the_schema_vocabulary():
    assert [s.value for s in models.PUBLIC_STATUSES] == list(schema.PUBLIC_STATUSES)
    assert [s.value for s in models.OPEN_STATUSES] == list(schema.OPEN_STATUSES)
    for enum, codes in (
        (models.Resolution, schema.RESOLUTIONS),
        (models.Solved, schema.SOLVED),
        (models.RatingReason, schema.RATING_REASONS),
        (models.RejectionReason, schema.REJECTION_REASONS),
        (models.PrivacyTier, schema.PRIVACY_TIERS),
    ):
        assert [member.value for member in enum] == list(codes)


def test_no_second_list_of_statuses_in_code_or_templates():
    """Statuses are spelt once (opendata.schema); code and templates use the vocabulary."""
    spelled = re.compile(r"""["']published["']\s*,\s*["']acknowledged["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("portal", "templates", "static/js")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".html", ".js"} and spelled.search(path.read_text("utf-8"))
    ]
    assert offenders == []
