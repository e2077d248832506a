"""The OpenAPI 3.1 document: valid, served, generated from the schemas, the public record
and the staff action registry, and describing every API route that exists."""

from __future__ import annotations

import pytest
from flask import Blueprint
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from opendata.schema import APPEALS
from portal.api.openapi import (
    DOCUMENTED_PREFIXES,
    build_openapi,
    openapi_paths,
    undocumented_routes,
)
from portal.services import actions


def test_document_is_valid_openapi_3_1(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_api_route_is_documented(app):
    """Fails when a route under a documented prefix declares no operation."""
    missing = undocumented_routes(app)
    assert missing == [], "Declare these routes' operations (@documented): " + ", ".join(missing)


def test_the_document_describes_exactly_the_existing_routes(app):
    document = build_openapi(app)
    described = {(method, path) for path, item in document["paths"].items() for method in item}
    existing = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(DOCUMENTED_PREFIXES):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                existing |= {(method.lower(), p) for p in openapi_paths(rule.rule)}
    assert described == existing
    assert ("get", "/open311/v2/requests.xml") in described
    assert ("post", "/open311/v2/requests.json") in described
    assert ("get", "/staff/api/v1/inbox") in described


def test_an_undocumented_route_is_caught(make_app):
    app = make_app()
    extra = Blueprint("extra_for_test", __name__, url_prefix="/api/v1")
    extra.add_url_rule("/secret-new-thing/<int:n>", "thing", lambda n: "", methods=["GET", "PUT"])
    app.register_blueprint(extra)
    assert undocumented_routes(app) == [
        "GET /api/v1/secret-new-thing/{n}",
        "PUT /api/v1/secret-new-thing/{n}",
    ]
    validate(build_openapi(app))


def test_rules_become_openapi_paths():
    assert openapi_paths("/open311/v2/requests/<service_request_id>.<any(json, xml):fmt>") == [
        "/open311/v2/requests/{service_request_id}.json",
        "/open311/v2/requests/{service_request_id}.xml",
    ]
    assert openapi_paths("/api/v1/appeals/<public_id>.geojson") == [
        "/api/v1/appeals/{public_id}.geojson"
    ]
    assert openapi_paths("/api/v1/x/<int:n>/<path:rest>") == ["/api/v1/x/{n}/{rest}"]


def test_page_size_limits_follow_the_settings(make_app):
    app = make_app(MAX_PAGE_SIZE=77)
    document = build_openapi(app)
    params = document["paths"]["/open311/v2/requests.json"]["get"]["parameters"]
    [page_size] = [p for p in params if p["name"] == "page_size"]
    assert page_size["schema"]["maximum"] == 77


def test_documented_text_grammars_accept_only_what_the_input_schemas_accept(app, client):
    """Text the served document calls valid is valid for the server, including CRLF line
    breaks (the description counts CRLF as one character) and control characters
    (schemathesis found both drifting)."""
    import re

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from portal.schemas.appeal import AppealSubmissionSchema
    from portal.schemas.rating import RatingSchema

    paths = client.get("/api/openapi.json").get_json()["paths"]

    def body(path: str) -> dict:
        content = paths[path]["post"]["requestBody"]["content"]["application/json"]
        return content["schema"]["properties"]

    description = body("/api/v1/appeals")["description"]["pattern"]
    comment = body("/api/v1/track/{token}/rating")["comment"]["pattern"]
    assert body("/open311/v2/requests.json")["description"]["pattern"] == description

    def errors(schema, field: str, value: str) -> list:
        return schema.validate({field: value}, partial=True).get(field, [])

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(description), st.from_regex(comment))
    def agree(text: str, note: str) -> None:
        assert errors(AppealSubmissionSchema(), "description", text) == [], repr(text)
        assert errors(RatingSchema(), "comment", note) == [], repr(note)

    with app.test_request_context():
        agree()
        # And what the server refuses, the document refuses too.
        for text in ["\u200a\n\r\u00cc\u200a\n\r\u00ed\r\n\r00", "a\r\nbcdefgh", "12345678\x07x"]:
            assert errors(AppealSubmissionSchema(), "description", text)
            assert not re.search(description, text)
        assert errors(RatingSchema(), "comment", "\x07T4")
        assert not re.search(comment, "\x07T4")
        # Whitespace control characters at either end are stripped first: both accept.
        for text in ["\x0cЯма у дома 12", "Яма у дома 12\x0b\x1f"]:
            assert errors(AppealSubmissionSchema(), "description", text) == []
            assert re.search(description, text)


def test_the_kind_of_appeal_is_documented_as_the_api_reads_it(app, client):
    """Blank or null means a problem and whitespace around a kind is stripped: the document
    says so (schemathesis found ``"kind": ""`` accepted while the document refused it)."""
    import jsonschema

    from portal.schemas.appeal import AppealSubmissionSchema

    paths = client.get("/api/openapi.json").get_json()["paths"]
    content = paths["/api/v1/appeals"]["post"]["requestBody"]["content"]["application/json"]
    documented = content["schema"]["properties"]["kind"]
    with app.test_request_context():
        for value in ["problem", " proposal\n", "question", "", "  ", None]:
            assert AppealSubmissionSchema().validate({"kind": value}, partial=True) == {}
            jsonschema.validate(value, documented)
        for value in ["problems", "Problem", "pro blem", "x", "problem question"]:
            assert "kind" in AppealSubmissionSchema().validate({"kind": value}, partial=True)
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(value, documented)


def test_every_field_the_appeal_schema_reads_is_declared(app, client):
    """The document allows undeclared properties, so the server must ignore them: any
    field it reads must be declared with what it accepts (schemathesis sent the form's
    honeypot ``website`` as an object, which the server rightly refuses)."""
    import re

    from portal.schemas.appeal import AppealSubmissionSchema

    paths = client.get("/api/openapi.json").get_json()["paths"]
    content = paths["/api/v1/appeals"]["post"]["requestBody"]["content"]["application/json"]
    declared = content["schema"]["properties"]
    assert set(AppealSubmissionSchema().fields) <= set(declared)
    honeypot = declared["website"]["pattern"]
    with app.test_request_context():
        for value in ["", "  ", "\x0c"]:
            assert AppealSubmissionSchema().validate({"website": value}, partial=True) == {}
            assert re.search(honeypot, value)
        for value in ["x", " http://spam.example "]:
            assert "website" in AppealSubmissionSchema().validate({"website": value}, partial=True)
            assert not re.search(honeypot, value)


def test_the_appeal_component_is_the_public_record(app):
    schemas = build_openapi(app)["components"]["schemas"]
    appeal = schemas["Appeal"]["properties"]
    assert list(appeal) == [*APPEALS.names, "overdue", "links"]
    assert appeal["status"]["enum"] == list(APPEALS.field("status").enum)
    assert appeal["channel"]["pattern"] == APPEALS.field("channel").pattern
    extended = schemas["Open311Extended"]["properties"]
    assert {"portal_status", "jurisdiction_id", "last_score", "channel", "answers"} <= set(extended)
    assert "service_request_id" not in extended and "id" not in extended


def test_every_staff_action_is_an_operation_with_its_input_schema(app):
    paths = build_openapi(app)["paths"]
    targets = {
        actions.APPEAL: "/appeals/{public_id}",
        actions.SUBMISSION: "/moderation/appeals/{target}",
        actions.HELD_TEXT: "/moderation/texts/{target}",
        actions.VIDEO: "/moderation/videos/{target}",
    }
    for action in actions.ACTIONS.values():
        item = paths[f"/staff/api/v1{targets[action.target]}/{action.path}"]
        operation = item["post"]
        assert operation["security"] == [{"staff_session": []}]
        assert {"401", "403", "409"} <= set(operation["responses"])
        if action.schema is None:
            assert "requestBody" not in operation
            continue
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert set(body["properties"]) == set(action.schema().fields), action.name


def test_staff_text_grammars_accept_what_the_staff_schemas_accept(app):
    """The staff schemas' text fields state their grammar themselves (Text.grammar): text
    valid for the document is valid for the schema; blank required text is neither."""
    import re

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from marshmallow import ValidationError

    from portal.schemas.staff import Text, load

    texts = [
        (action.schema, name, field)
        for action in actions.ACTIONS.values()
        if action.schema is not None
        for name, field in action.schema().fields.items()
        if isinstance(field, Text)
    ]
    assert len(texts) >= 4

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(texts).flatmap(
        lambda item: st.tuples(st.just(item), st.from_regex(item[2].grammar["pattern"]))
    ))  # fmt: skip
    def agree(example) -> None:
        (schema, name, _field), text = example
        errors = schema().validate({name: text}, partial=True)
        assert name not in errors, (name, repr(text), errors)

    with app.test_request_context():
        agree()
        for schema, name, field in texts:
            if field.required:
                assert not re.search(field.grammar["pattern"], "   ")
                with pytest.raises(ValidationError) as refused:
                    load(schema(), {name: "   "})
                assert name in refused.value.messages


def test_the_submission_says_how_photos_and_a_video_are_sent(client):
    """A city app learns from the document how to attach media: JSON Schema cannot carry
    files, so the operation's description names the parts the endpoint reads."""
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/v1/appeals"]["post"]
    for part in ("multipart/form-data", "`photos`", "`video`", "base64", "MAX_VIDEO_BYTES"):
        assert part in operation["description"], part
