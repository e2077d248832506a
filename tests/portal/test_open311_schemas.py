"""Helpers shared by the Open311 tests: the official JSON Schemas and XML parsing."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "data" / "open311"
BASE = "/open311/v2"


@cache
def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT4))
        for path in SCHEMA_DIR.glob("*.json")
    ]
    return Registry().with_resources(resources)


def validator(name: str) -> Draft4Validator:
    """A validator of one vendored schema (requests.json, services.json, …), formats on."""
    schema = json.loads((SCHEMA_DIR / name).read_text())
    return Draft4Validator(
        schema, registry=_registry(), format_checker=Draft4Validator.FORMAT_CHECKER
    )


def assert_valid(instance, name: str) -> None:
    errors = sorted(validator(name).iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def xml_root(response) -> ET.Element:
    assert response.mimetype == "text/xml", response.mimetype
    return ET.fromstring(response.data)


def assert_error(response, code: int, fmt: str = "json") -> list[str]:
    """The response is an Open311 error list with ``code``; returns the descriptions."""
    assert response.status_code == code, response.data
    if fmt == "xml":
        root = xml_root(response)
        assert root.tag == "errors"
        errors = root.findall("error")
        assert errors
        assert all(e.findtext("code") == str(code) for e in errors)
        return [e.findtext("description") for e in errors]
    body = response.get_json()
    assert isinstance(body, list) and body
    for item in body:
        assert set(item) == {"code", "description"}
        assert item["code"] == code
        assert isinstance(item["description"], str) and item["description"]
    return [item["description"] for item in body]


# --- The vendored schemas themselves --------------------------------------------------


def test_vendored_schemas_are_valid_draft4_schemas():
    for path in SCHEMA_DIR.glob("*.json"):
        Draft4Validator.check_schema(json.loads(path.read_text()))
    assert {p.name for p in SCHEMA_DIR.glob("*.json")} >= {
        "request.json",
        "requests.json",
        "service.json",
        "services.json",
        "service-definition.json",
    }


def test_vendored_schemas_reject_what_the_specification_forbids():
    good = {
        "service_request_id": "BSK-2026-000001",
        "status": "open",
        "service_code": "pothole",
        "requested_datetime": "2026-01-31T10:00:00+06:00",
    }
    assert_valid([good], "requests.json")
    for bad in (
        {**good, "service_request_id": 1},  # ids are strings
        {**good, "status": "answered"},  # open or closed only
        {**good, "requested_datetime": "31.01.2026"},  # W3C date-time
        {key: value for key, value in good.items() if key != "service_code"},
    ):
        assert list(validator("requests.json").iter_errors([bad])), bad
