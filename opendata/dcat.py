"""Catalogues that national open-data portals harvest: DCAT-AP 3 (JSON-LD) and Project Open
Data ``data.json`` v1.1.

Both are derived from :mod:`opendata.schema` (datasets, their formats) and the facts of the
running portal (:class:`CatalogueFacts`), like ``datapackage.json``: a dataset or a format
added to the schema appears here without an edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opendata.catalog import DESCRIPTION, FORMATS, KEYWORDS, LICENSE, TITLE, file_name
from opendata.schema import DATASETS, SCHEMA_VERSION, Dataset

PUBLISHER = "Achyk Shaar (Open City)"
LICENSE_URL = LICENSE["path"]
#: EU vocabularies DCAT-AP asks for (frequency, file types) and IANA media types.
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY_DAILY = EU + "frequency/DAILY"
EU_FILE_TYPE = {"csv": "CSV", "json": "JSON", "geojson": "GEOJSON", "parquet": "PARQUET"}
IANA = "https://www.iana.org/assignments/media-types/"
#: A dataset's place in DCAT-AP's data themes: all of it is about government and the city.
THEME = EU + "data-theme/GOVE"

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "locn": "http://www.w3.org/ns/locn#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "adms": "http://www.w3.org/ns/adms#",
}


@dataclass(frozen=True)
class Place:
    """A covered city: its name and bounding box (WGS 84)."""

    name: str
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def wkt(self) -> str:
        """The box as a WKT polygon (lon lat order), as ``dcat:bbox`` expects."""
        w, e, s, n = self.min_lon, self.max_lon, self.min_lat, self.max_lat
        return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"


@dataclass(frozen=True)
class SnapshotEntry:
    """A file of the newest published snapshot, with its size and SHA-256."""

    name: str
    url: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class CatalogueFacts:
    """What the catalogue says that the schema cannot: where, since when, who to ask."""

    base_url: str
    contact_email: str
    places: tuple[Place, ...]
    #: First and last submission among published appeals (None when nothing is published).
    first: datetime | None
    last: datetime | None
    modified: datetime
    snapshot: tuple[SnapshotEntry, ...] = field(default=())

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"


def _distributions(dataset: Dataset, facts: CatalogueFacts) -> Iterable[dict[str, Any]]:
    """Every live download of the dataset, then its files in the newest snapshot."""
    snapshot = {entry.name: entry for entry in facts.snapshot}
    for fmt in dataset.formats:
        spec, name = FORMATS[fmt], file_name(dataset, fmt)
        yield {"fmt": fmt, "title": f"{dataset.title} ({spec.title})", "name": name,
               "url": facts.url(f"/datasets/{name}"), "media_type": spec.media_type,
               "entry": None}  # fmt: skip
        if name in snapshot:
            entry = snapshot[name]
            yield {"fmt": fmt, "title": f"{dataset.title} ({spec.title}, daily snapshot)",
                   "name": name, "url": entry.url, "media_type": spec.media_type,
                   "entry": entry}  # fmt: skip


def _media_type(value: str) -> str:
    return value.split(";")[0].strip()


def _file_type(fmt: str) -> str:
    kind = fmt.rsplit(".", 1)[-1]
    return EU + "file-type/" + EU_FILE_TYPE.get(kind, kind.upper())


def _temporal(facts: CatalogueFacts) -> dict[str, Any] | None:
    if facts.first is None or facts.last is None:
        return None
    return {
        "@type": "dct:PeriodOfTime",
        "dcat:startDate": {"@value": facts.first.date().isoformat(), "@type": "xsd:date"},
        "dcat:endDate": {"@value": facts.last.date().isoformat(), "@type": "xsd:date"},
    }


def _dcat_distribution(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@id": item["url"],
        "@type": "dcat:Distribution",
        "dct:title": item["title"],
        "dcat:accessURL": {"@id": item["url"]},
        "dcat:downloadURL": {"@id": item["url"]},
        "dcat:mediaType": {"@id": IANA + _media_type(item["media_type"])},
        "dct:format": {"@id": _file_type(item["fmt"])},
        "dct:license": {"@id": LICENSE_URL},
    }
    entry: SnapshotEntry | None = item["entry"]
    if entry is not None:
        out["dcat:byteSize"] = {"@value": str(entry.bytes), "@type": "xsd:nonNegativeInteger"}
        out["spdx:checksum"] = {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": entry.sha256, "@type": "xsd:hexBinary"},
        }
    return out


def _dcat_dataset(dataset: Dataset, facts: CatalogueFacts) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@id": facts.url(f"/datasets/#{dataset.name}"),
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.name,
        "dct:title": dataset.title,
        "dct:description": dataset.description,
        "dcat:keyword": list(KEYWORDS),
        "dcat:theme": {"@id": THEME},
        "dct:publisher": {"@id": facts.url("/#publisher")},
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": PUBLISHER,
            "vcard:hasEmail": {"@id": f"mailto:{facts.contact_email}"},
        },
        "dct:accrualPeriodicity": {"@id": FREQUENCY_DAILY},
        "dct:modified": {
            "@value": facts.modified.isoformat(timespec="seconds"),
            "@type": "xsd:dateTime",
        },  # fmt: skip
        "dct:spatial": [
            {
                "@type": "dct:Location",
                "locn:geographicName": place.name,
                "dcat:bbox": {
                    "@value": place.wkt(),
                    "@type": "http://www.opengis.net/ont/geosparql#wktLiteral",
                },
            }
            for place in facts.places
        ],  # fmt: skip
        "dct:license": {"@id": LICENSE_URL},
        "dcat:landingPage": {"@id": facts.url("/datasets/")},
        "dcat:version": SCHEMA_VERSION,
        "dcat:distribution": [_dcat_distribution(d) for d in _distributions(dataset, facts)],
    }
    temporal = _temporal(facts)
    if temporal is not None:
        out["dct:temporal"] = temporal
    return out


def dcat_catalogue(facts: CatalogueFacts) -> dict[str, Any]:
    """The DCAT-AP 3 catalogue of every dataset, as a JSON-LD document."""
    return {
        "@context": CONTEXT,
        "@id": facts.url("/datasets/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": TITLE,
        "dct:description": DESCRIPTION,
        "dct:publisher": {
            "@id": facts.url("/#publisher"),
            "@type": "foaf:Agent",
            "foaf:name": PUBLISHER,
        },  # fmt: skip
        "dct:license": {"@id": LICENSE_URL},
        "dct:modified": {
            "@value": facts.modified.isoformat(timespec="seconds"),
            "@type": "xsd:dateTime",
        },  # fmt: skip
        "foaf:homepage": {"@id": facts.url("/datasets/")},
        "dcat:dataset": [_dcat_dataset(d, facts) for d in DATASETS.values()],
    }


# --- Project Open Data v1.1 ---------------------------------------------------------------


def _pod_dataset(dataset: Dataset, facts: CatalogueFacts) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": dataset.title,
        "description": dataset.description,
        "keyword": list(KEYWORDS),
        "modified": facts.modified.isoformat(timespec="seconds"),
        "publisher": {"@type": "org:Organization", "name": PUBLISHER},
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": PUBLISHER,
            "hasEmail": f"mailto:{facts.contact_email}",
        },  # fmt: skip
        "identifier": facts.url(f"/datasets/#{dataset.name}"),
        "accessLevel": "public",
        "license": LICENSE_URL,
        "spatial": "; ".join(place.name for place in facts.places) or "Kyrgyzstan",
        "accrualPeriodicity": "R/P1D",
        "landingPage": facts.url("/datasets/"),
        "describedBy": facts.url("/datasets/datapackage.json"),
        "describedByType": "application/json",
        "distribution": [
            {
                "@type": "dcat:Distribution",
                "title": item["title"],
                "downloadURL": item["url"],
                "mediaType": _media_type(item["media_type"]),
                "format": FORMATS[item["fmt"]].title,
            }
            for item in _distributions(dataset, facts)
        ],  # fmt: skip
    }
    if facts.first is not None and facts.last is not None:
        out["temporal"] = f"{facts.first.date().isoformat()}/{facts.last.date().isoformat()}"
    return out


def pod_catalogue(facts: CatalogueFacts) -> dict[str, Any]:
    """The Project Open Data v1.1 ``data.json`` of every dataset."""
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@id": facts.url("/data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": [_pod_dataset(d, facts) for d in DATASETS.values()],
    }
