"""Building blocks of the published schema: a field, a foreign key, a dataset.

``opendata.schema`` declares the published datasets with these classes; everything that
publishes (files, data package, dictionary, records, API documents) reads them by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it (extraction keyword)."""
    return message


ANON_NONE = N_("None needed: no personal data.")

#: Python type of each Table Schema type (records and API documents).
PYTHON_TYPES: dict[str, type] = {
    "string": str, "integer": int, "number": float, "boolean": bool,
    "datetime": datetime, "date": date, "yearmonth": str,
}  # fmt: skip


@dataclass(frozen=True)
class Field:
    """One published column."""

    name: str
    type: str  # Table Schema type: string, integer, number, boolean, datetime, yearmonth
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    pattern: str | None = None
    anonymization: str = ANON_NONE
    #: Free text typed by people: CSV cells get the OWASP formula-injection guard.
    free_text: bool = False
    #: Codes whose allowed values come from the reference data (city, service…).
    reference: str | None = None
    #: Attribute name on records when the field's name would mislead in code ("id" is the
    #: public id there, never a database key).
    python_name: str | None = None
    #: Name among Open311's ``extended_attributes`` when it differs (kept for its clients).
    open311: str | None = None

    @property
    def attribute(self) -> str:
        """The attribute that holds this field on a record."""
        return self.python_name or self.name

    @property
    def python_type(self) -> Any:
        """The Python type of the value on a record (``X | None`` unless required)."""
        kind = PYTHON_TYPES[self.type]
        return kind if self.required else kind | None

    def constraints(self, enums: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
        """Table Schema constraints; ``enums`` fills reference-data enums (city codes…)."""
        out: dict[str, Any] = {}
        if self.required:
            out["required"] = True
        if self.unique:
            out["unique"] = True
        allowed = self.enum
        if allowed is None and self.reference and enums and self.reference in enums:
            allowed = tuple(enums[self.reference])
        if allowed is not None:
            out["enum"] = list(allowed)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.pattern:
            out["pattern"] = self.pattern
        return out

    def table_schema(
        self, enums: dict[str, tuple[str, ...]] | None = None, decimal_char: str = "."
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "type": self.type}
        spec["description"] = self.description
        if self.type == "number" and decimal_char != ".":
            spec["decimalChar"] = decimal_char
        constraints = self.constraints(enums)
        if constraints:
            spec["constraints"] = constraints
        return spec


@dataclass(frozen=True)
class Change:
    """One version of the published schema: its number, date and what changed."""

    version: str
    date: date
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]

    def table_schema(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields),
            "reference": {"resource": self.resource, "fields": list(self.reference_fields)},
        }


@dataclass(frozen=True)
class Dataset:
    """A published table and the formats it is offered in."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    #: (lat field, lon field) for datasets with a point geometry (GeoJSON formats).
    geometry: tuple[str, str] | None = None
    #: Whether the shared appeal filters (city, category, … bbox) apply to downloads.
    filterable: bool = True
    formats: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def table_schema(
        self, enums: dict[str, tuple[str, ...]] | None = None, decimal_char: str = "."
    ) -> dict[str, Any]:
        """The Table Schema (v2) of the tabular (CSV) files."""
        schema: dict[str, Any] = {
            "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
            "fields": [f.table_schema(enums, decimal_char) for f in self.fields],
            "missingValues": [""],
            "primaryKey": list(self.primary_key),
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [fk.table_schema() for fk in self.foreign_keys]
        return schema
