"""The harvestable catalogues: DCAT-AP 3 (JSON-LD, read with rdflib) and Project Open Data
v1.1 ``data.json`` (validated against the POD JSON Schema)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from opendata import schema
from opendata.catalog import FORMATS, file_name

SPDX = Namespace("http://spdx.org/rdf/terms#")
POD_SCHEMA = Path(__file__).parents[1] / "data" / "catalogue" / "pod_v1_1_catalog.schema.json"
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")


def graph(client) -> Graph:
    response = client.get("/datasets/catalog.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    return Graph().parse(data=response.get_data(as_text=True), format="json-ld")


def dataset_node(g: Graph, name: str) -> URIRef:
    (node,) = g.subjects(DCTERMS.identifier, Literal(name))
    assert (node, RDF.type, DCAT.Dataset) in g
    return node


@pytest.fixture
def published(app, make_appeal):
    make_appeal(submitted_at=datetime(2025, 3, 10, 6, tzinfo=UTC))
    make_appeal(city="osh", category="pothole", lat=40.52, lon=72.80)


def test_dcat_lists_every_dataset_with_every_download(app, client, published):
    g = graph(client)
    (catalog,) = g.subjects(RDF.type, DCAT.Catalog)
    for name, dataset in schema.DATASETS.items():
        node = dataset_node(g, name)
        assert (catalog, DCAT.dataset, node) in g
        assert (node, DCTERMS.license, LICENSE) in g
        assert g.value(node, DCTERMS.accrualPeriodicity) is not None
        assert g.value(node, DCTERMS.publisher) is not None
        downloads = {str(g.value(d, DCAT.downloadURL)) for d in g.objects(node, DCAT.distribution)}
        assert downloads == {f"http://{app.config['SERVER_NAME']}/datasets/{file_name(dataset, fmt)}"
                             for fmt in dataset.formats}  # fmt: skip


def test_dcat_states_temporal_and_spatial_coverage(client, published):
    g = graph(client)
    node = dataset_node(g, "appeals")
    period = g.value(node, DCTERMS.temporal)
    assert g.value(period, DCAT.startDate).toPython() == date(2025, 3, 10)
    assert g.value(period, DCAT.endDate).toPython() >= date(2026, 1, 1)
    places = {str(g.value(p, URIRef("http://www.w3.org/ns/locn#geographicName")))
              for p in g.objects(node, DCTERMS.spatial)}  # fmt: skip
    assert places == {"Bishkek", "Osh"}
    boxes = [str(g.value(p, DCAT.bbox)) for p in g.objects(node, DCTERMS.spatial)]
    assert all(box.startswith("POLYGON((") for box in boxes)


def test_dcat_lists_the_newest_snapshot_with_sizes_and_hashes(client, published, runner):
    from portal.datasets.views import snapshot_dir

    result = runner.invoke(args=["publish", "--out", str(snapshot_dir())])
    assert result.exit_code == 0, result.output
    g = graph(client)
    node = dataset_node(g, "appeals")
    sized = [d for d in g.objects(node, DCAT.distribution) if g.value(d, DCAT.byteSize)]
    assert {str(g.value(d, DCAT.downloadURL)).rsplit("/", 1)[1] for d in sized} == {
        file_name(schema.DATASETS["appeals"], fmt) for fmt in schema.DATASETS["appeals"].formats
    }
    for d in sized:
        url = str(g.value(d, DCAT.downloadURL)).split("/", 3)[3]
        body = client.get(f"/{url}").get_data()
        assert int(g.value(d, DCAT.byteSize)) == len(body)
        checksum = g.value(d, SPDX.checksum)
        assert str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()


def test_pod_data_json_validates_against_the_v1_1_schema(client, published):
    response = client.get("/data.json")
    assert response.status_code == 200
    document = response.get_json()
    jsonschema.validate(document, json.loads(POD_SCHEMA.read_text()),
                        format_checker=jsonschema.FormatChecker())  # fmt: skip
    titles = [d["title"] for d in document["dataset"]]
    assert titles == [d.title for d in schema.DATASETS.values()]
    appeals = document["dataset"][titles.index(schema.DATASETS["appeals"].title)]
    assert appeals["temporal"].startswith("2025-03-10/")
    assert {d["format"] for d in appeals["distribution"]} == {
        FORMATS[fmt].title for fmt in schema.DATASETS["appeals"].formats
    }


def test_pod_schema_refuses_what_harvesters_refuse(client, published):
    """The vendored schema is not a rubber stamp: a catalogue missing a contact or with a
    made-up access level fails it."""
    document = client.get("/data.json").get_json()
    pod = json.loads(POD_SCHEMA.read_text())
    del document["dataset"][0]["contactPoint"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, pod)
    document = client.get("/data.json").get_json()
    document["dataset"][0]["accessLevel"] = "open"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, pod)


def test_catalogues_of_an_empty_portal_still_parse(client, app):
    g = graph(client)
    node = dataset_node(g, "appeals")
    assert g.value(node, DCTERMS.temporal) is None  # nothing published: no coverage claimed
    assert client.get("/data.json").status_code == 200
