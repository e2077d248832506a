"""Labels of public field values: every allowed value declared in opendata.schema has one,
and value_label names the client of an Open311 channel."""

from __future__ import annotations

import pytest

from opendata import schema
from portal import labels

#: Fields whose allowed values are a vocabulary plus a suffix (a pattern, not an enum).
VOCABULARY = {"channel": schema.CHANNELS}


def _allowed(spec: schema.Field) -> tuple:
    if spec.enum:
        return spec.enum
    if spec.name in VOCABULARY:
        return VOCABULARY[spec.name]
    if spec.type == "integer":
        return tuple(range(spec.minimum, spec.maximum + 1))
    return (True,)  # a flag: its true value is said in words


@pytest.mark.parametrize("name", sorted(labels.FIELD_VALUES))
def test_every_allowed_value_of_a_labelled_field_has_a_label(app, name):
    spec = schema.APPEALS.field(name)  # KeyError: labels of a field that is not public
    with app.test_request_context("/?lang=en"):
        for value in _allowed(spec):
            assert labels.value_label(name, value) not in ("", str(value)), (name, value)


def test_every_coded_public_field_is_labelled():
    coded = {f.name for f in schema.APPEALS.fields if f.type == "string" and f.enum}
    assert coded | set(VOCABULARY) <= set(labels.FIELD_VALUES)


def test_value_label_keeps_a_client_name_and_says_nothing_of_no_value(app):
    with app.test_request_context("/?lang=en"):
        assert labels.value_label("channel", "open311:oshcity") == "Open311: oshcity"
        assert labels.value_label("channel", "web") == "Web form"
        assert labels.value_label("kind", "proposal") == "Proposal"
        assert labels.value_label("kind", None) == ""
        assert labels.value_label("deadline_extended", False) == ""
        assert labels.value_label("on_time", False) == "late"
