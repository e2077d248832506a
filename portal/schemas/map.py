"""Query-string schemas of the map API and of paginated lists (besides the shared filters)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, post_load, validate

from portal.schemas import fields as f
from portal.schemas.filters import AppealFilters, AppealFiltersSchema, parse_filters

MAX_ZOOM = 20
LAYERS = ("appeals", "heat")


@dataclass(frozen=True)
class MapQuery:
    """A validated map request: the viewport's zoom, the layer and the shared filters."""

    zoom: int
    layer: str
    filters: AppealFilters


class MapArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    zoom = f.Integer(
        required=True,
        strict=False,
        validate=validate.Range(0, MAX_ZOOM, error=_l("zoom must be a whole number 0–20.")),
        error_messages={
            "required": _l("zoom is required (0–20)."),
            "invalid": _l("zoom must be a whole number 0–20."),
        },
        metadata={"description": "Map zoom level."},
    )
    layer = f.String(
        load_default="appeals",
        validate=validate.OneOf(LAYERS, error=_l("layer must be appeals or heat.")),
        metadata={"description": "appeals or heat."},
    )


#: Largest page number and per_page value anyone may ask for.
MAX_PAGE_NUMBER = 1_000_000


@dataclass(frozen=True)
class PageArgs:
    page: int
    per_page: int


class PageArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    page = f.Integer(
        load_default=1,
        validate=validate.Range(
            min=1, max=MAX_PAGE_NUMBER, error=_l("page must be from {min} to {max}.")
        ),
        error_messages={"invalid": _l("page must be a whole number.")},
        metadata={"description": "Page number."},
    )
    # Capped at MAX_PAGE_SIZE by parse_page; an absurd number is an error, not a cap.
    per_page = f.Integer(
        load_default=None,
        validate=validate.Range(
            min=1, max=MAX_PAGE_NUMBER, error=_l("per_page must be from {min} to {max}.")
        ),
        error_messages={"invalid": _l("per_page must be a whole number.")},
        metadata={"description": "Appeals per page (default PAGE_SIZE, at most MAX_PAGE_SIZE)."},
    )

    @post_load
    def make(self, data, **kwargs) -> dict:
        return data


def _together(name: str, *schemas: type[Schema]) -> type[Schema]:
    """One schema with the fields of several (to describe a query string read by each)."""
    declared = {key: value for schema in schemas for key, value in schema._declared_fields.items()}
    return Schema.from_dict(declared, name=name)


#: The query strings of the map and of the list as a whole: their own arguments and the
#: shared filters (for the OpenAPI document; parse_map_query and parse_page read them).
MapQueryDocSchema = _together("MapQuery", MapArgsSchema, AppealFiltersSchema)
ListQueryDocSchema = _together("ListQuery", AppealFiltersSchema, PageArgsSchema)


def _cleaned(args) -> dict:
    return {key: value for key, value in args.items() if value not in ("", None)}


def parse_map_query(args) -> MapQuery:
    """Zoom, layer and filters of a map request; raises ValidationError with every error."""
    errors: dict = {}
    try:
        filters = parse_filters(args)
    except ValidationError as error:
        errors.update(error.messages)
        filters = None
    try:
        data = MapArgsSchema().load(_cleaned(args))
    except ValidationError as error:
        errors.update(error.messages)
        data = None
    if errors:
        raise ValidationError(errors)
    return MapQuery(zoom=data["zoom"], layer=data["layer"], filters=filters)


def parse_page(args, *, default: int, maximum: int) -> PageArgs:
    """page and per_page (per_page capped at ``maximum``); raises ValidationError."""
    data = PageArgsSchema().load(_cleaned(args))
    per_page = min(data["per_page"] or default, maximum)
    return PageArgs(page=data["page"], per_page=per_page)
