"""Catalog of the open data: ``datapackage.json``, the data dictionary, the changelog.

Everything here is derived from :mod:`opendata.schema`, so the package descriptor, the
dictionary page and the files themselves cannot drift apart.

The data package follows Frictionless Data Package v2: one tabular resource per dataset
(the CSV file, with its Table Schema: types, constraints, enums, primary and foreign
keys, missing values) and one resource per other format of the same dataset (the Excel
CSV with the same schema; JSON, GeoJSON, GeoJSONSeq and Parquet as files with the same
fields). A snapshot's
descriptor also gives every file's size (``bytes``) and SHA-256 (``hash``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from opendata.cells import EXCEL, RFC4180
from opendata.exports import FORMATS
from opendata.schema import DATASETS, N_, SCHEMA_VERSION, Dataset, Field

PACKAGE_NAME = "achyk-shaar-appeals"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
TITLE = "Achyk Shaar (Open City): citizens' appeals to city services of Bishkek and Osh"
DESCRIPTION = (
    "Appeals of citizens to the municipal services of Bishkek and Osh (Kyrgyzstan), the "
    "services' answers, the citizens' ratings, reference lists and monthly service "
    "performance. Personal data is removed before publication: texts are scrubbed and "
    "locations masked (see the data dictionary). Datetimes are ISO 8601 in Asia/Bishkek "
    "time (+06:00)."
)
PARQUET_TYPES = (
    "datetimes as timestamps with time zone (UTC-adjusted, shown in Asia/Bishkek), booleans, "
    "64-bit integers, numbers as doubles (the point as lat and lon), dates as dates."
)
KEYWORDS = ("appeals", "city services", "open311", "Bishkek", "Osh", "Kyrgyzstan")


@dataclass(frozen=True)
class Change:
    """One version of the published schema."""

    version: str
    date: date
    changes: tuple[str, ...]


#: Schema versions, newest first. Bump SCHEMA_VERSION and add an entry for every change
#: of a published field (a test checks that the newest entry is SCHEMA_VERSION).
CHANGELOG: tuple[Change, ...] = (
    Change(
        "1.3.0",
        date(2026, 12, 6),
        (
            N_(
                "Appeals: new field video_url (the path of the appeal's short video on the "
                "portal, re-encoded without metadata and published after moderation; its "
                "poster frame is the same path ending in .jpg), the last column, also in the "
                "API and Open311's extended_attributes."
            ),  # fmt: skip
        ),
    ),
    Change(
        "1.2.0",
        date(2026, 12, 5),
        (
            N_(
                "Formats: Parquet for appeals, answers, ratings and service_performance (downloads with the same filters, and in every snapshot): typed columns — datetimes as timestamps with time zone (Asia/Bishkek), booleans, 64-bit integers, the point as lat and lon numbers."
            ),  # fmt: skip
            N_(
                "Appeals: new field supporters (how many residents said the problem affects "
                "them too, at most one per browser), added as the last column; it is also "
                "in the API and Open311's extended_attributes."
            ),  # fmt: skip
            N_(
                "Appeals: new field kind (problem, proposal or question), added as the last "
                "column, in every format, the API and Open311's extended_attributes; kind is "
                "a filter of the map, the list, the API and the downloads. Appeals submitted "
                "before kinds were recorded are problems."
            ),  # fmt: skip
            N_(
                "Appeals: new fields outcome (accepted, planned or declined: how the city "
                "decided on a proposal) and outcome_reason (its public reason, anonymized "
                "like every published text), after kind."
            ),  # fmt: skip
            N_(
                "Appeals: new field duplicate_of (the id of the original when the appeal was "
                "closed as a duplicate), the last column; the duplicate's supporters and its "
                "author count for the original."
            ),  # fmt: skip
            N_(
                "Service performance: the figures (and the service_performance dataset) "
                "count problems only, so that services are not ranked on proposals and "
                "questions; /performance shows those per kind."
            ),  # fmt: skip
            N_(
                "Formats: the CSV for Excel (excel.csv) now opens in columns in Excel with "
                "Russian or Kyrgyz regional settings: semicolons between cells and decimal "
                "commas (still with a BOM). The plain CSV is unchanged."
            ),  # fmt: skip
        ),
    ),
    Change(
        "1.1.0",
        date(2026, 12, 5),
        (
            N_(
                "Appeals: new fields channel (how the appeal arrived: web, api, open311 or "
                "open311:<client>) and photo_count, added as the last columns. Appeals "
                "submitted before channels were recorded have channel web."
            ),  # fmt: skip
            N_(
                "API: every appeal of /api/v1/appeals now carries all published fields, "
                "including latest_answer_text, photo_count and channel; Open311's "
                "extended_attributes add channel."
            ),  # fmt: skip
            N_(
                "Answers: every answer given is listed; its text is empty while a moderator "
                "checks it (new field in_moderation) or when the moderator withheld it."
            ),  # fmt: skip
        ),
    ),
    Change(
        "1.0.0",
        date(2026, 11, 22),
        (
            N_(
                "First published version: appeals, answers, ratings, services, categories, "
                "monthly service performance and withdrawn appeals."
            ),  # fmt: skip
            N_(
                "Formats: CSV, CSV for Excel (with BOM), GeoJSON, GeoJSONSeq and JSON; "
                "dated snapshots with sizes and SHA-256 hashes."
            ),  # fmt: skip
        ),
    ),
)


@dataclass(frozen=True)
class FileInfo:
    """Size and SHA-256 of a written file."""

    bytes: int
    sha256: str


class HashingWriter:
    """Wraps a binary file: counts and hashes what is written (no second read)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def info(self) -> FileInfo:
        return FileInfo(self.size, self.digest.hexdigest())


def file_info(path) -> FileInfo:
    """Size and SHA-256 of a file on disk."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return FileInfo(size, digest.hexdigest())


def file_name(dataset: Dataset, fmt: str) -> str:
    """File name of a dataset in a format: ``appeals.csv``, ``appeals.excel.csv``…"""
    return f"{dataset.name}.{FORMATS[fmt].suffix}"


def resource_name(dataset: Dataset, fmt: str) -> str:
    return dataset.name if fmt == "csv" else f"{dataset.name}-{fmt.replace('.', '-')}"


def resource(
    dataset: Dataset,
    fmt: str,
    *,
    path: str,
    enums: dict[str, tuple[str, ...]] | None = None,
    info: FileInfo | None = None,
) -> dict[str, Any]:
    """The Data Package resource of one file."""
    spec = FORMATS[fmt]
    out: dict[str, Any] = {
        "name": resource_name(dataset, fmt),
        "title": dataset.title if fmt == "csv" else f"{dataset.title} ({spec.title})",
        "description": dataset.description,
        "path": path,
        "format": "csv" if fmt == "excel.csv" else fmt,
        "mediatype": spec.media_type.split(";")[0],
    }
    if fmt in ("csv", "excel.csv"):
        dialect = EXCEL if fmt == "excel.csv" else RFC4180
        out["type"] = "table"
        out["encoding"] = "utf-8-sig" if fmt == "excel.csv" else "utf-8"
        out["dialect"] = {"header": True, "delimiter": dialect.separator, "quoteChar": '"'}
        out["schema"] = dataset.table_schema(enums, decimal_char=dialect.decimal)
    elif fmt == "parquet":  # binary and typed: described, not re-read as a table
        out["type"] = "file"
        out["description"] = (
            f"{dataset.description} Same fields as the resource {dataset.name!r} (see its "
            f"schema), as typed columns: {PARQUET_TYPES}"
        )
    else:  # JSON and GeoJSON: the same fields, described by the CSV resource's schema
        out["type"] = "file"
        out["encoding"] = "utf-8"
        out["description"] = (
            f"{dataset.description} Same fields as the resource {dataset.name!r} (see its schema)."
        )
    out["licenses"] = [LICENSE]
    if info is not None:
        out["bytes"] = info.bytes
        out["hash"] = f"sha256:{info.sha256}"
    return out


def datapackage(
    *,
    base_url: str,
    created: datetime,
    enums: dict[str, tuple[str, ...]] | None = None,
    files: dict[str, FileInfo] | None = None,
    datasets: Iterable[Dataset] | None = None,
    path_prefix: str = "",
) -> dict[str, Any]:
    """The ``datapackage.json`` descriptor.

    ``files`` maps file names to their size and hash (snapshots); without it the
    descriptor describes the live downloads (no sizes, they change with every appeal).
    """
    resources = []
    for dataset in datasets if datasets is not None else DATASETS.values():
        for fmt in dataset.formats:
            name = file_name(dataset, fmt)
            info = files.get(name) if files is not None else None
            if files is not None and info is None:
                continue  # a snapshot lists only the files it holds
            resources.append(
                resource(dataset, fmt, path=path_prefix + name, enums=enums, info=info)
            )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": PACKAGE_NAME,
        "id": f"{base_url.rstrip('/')}/datasets/datapackage.json",
        "title": TITLE,
        "description": DESCRIPTION,
        "homepage": f"{base_url.rstrip('/')}/datasets",
        "version": SCHEMA_VERSION,
        "created": created.isoformat(timespec="seconds"),
        "keywords": list(KEYWORDS),
        "licenses": [LICENSE],
        "sources": [
            {
                "title": "Achyk Shaar portal: appeals submitted by citizens, answers of "
                "municipal services and citizens' ratings",
                "path": base_url,
            }
        ],
        "contributors": [{"title": "Achyk Shaar (Open City)", "roles": ["publisher"]}],
        "resources": resources,
    }


# --- Data dictionary ---------------------------------------------------------------------


@dataclass(frozen=True)
class DictionaryEntry:
    """One field as the dictionary page shows it."""

    name: str
    type: str
    description: str
    required: bool
    allowed: tuple[str, ...]  # enum values, or constraints in words ("1 ≤ x ≤ 5")
    anonymization: str
    csv_guard: bool


def _allowed(spec: Field, enums: dict[str, tuple[str, ...]] | None) -> tuple[str, ...]:
    constraints = spec.constraints(enums)
    out = []
    if "enum" in constraints:
        out.extend(str(v) for v in constraints["enum"])
    if "minimum" in constraints and "maximum" in constraints:
        out.append(f"{constraints['minimum']} … {constraints['maximum']}")
    elif "minimum" in constraints:
        out.append(f"≥ {constraints['minimum']}")
    if "pattern" in constraints:
        out.append(constraints["pattern"])
    return tuple(out)


def dictionary(
    enums: dict[str, tuple[str, ...]] | None = None, datasets: Iterable[Dataset] | None = None
) -> list[tuple[Dataset, list[DictionaryEntry]]]:
    """Every dataset with the description of every field."""
    out = []
    for dataset in datasets if datasets is not None else DATASETS.values():
        entries = [
            DictionaryEntry(
                spec.name,
                spec.type,
                spec.description,
                spec.required,
                _allowed(spec, enums),
                spec.anonymization,
                spec.free_text,
            )  # fmt: skip
            for spec in dataset.fields
        ]
        out.append((dataset, entries))
    return out
