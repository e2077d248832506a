"""Applying AppealFilters to a public appeals SELECT (one place for map, list, exports)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import Select

from portal.models import OPEN_STATUSES, utcnow
from portal.queries.record import APPEAL
from portal.queries.search import text_matches
from portal.schemas.filters import AppealFilters
from portal.workdays import BISHKEK

#: Filters that compare one field of the public record with the value given.
EQUAL = ("city", "category", "service", "district", "status", "kind")


def apply_filters(query: Select, filters: AppealFilters) -> Select:
    """Add WHERE clauses for the filters to a query built on the public appeal record
    (``portal.queries.record.APPEAL``): every filter is a condition on a published field."""
    field = APPEAL.columns
    for name in EQUAL:
        value = getattr(filters, name)
        if value:
            query = query.where(field[name] == value)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, tzinfo=BISHKEK)
        query = query.where(field["submitted_at"] >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=BISHKEK)
        query = query.where(field["submitted_at"] < end)
    if filters.overdue:
        query = query.where(field["status"].in_(OPEN_STATUSES), field["due_at"] < utcnow())
    if filters.q:
        query = query.where(text_matches(filters.q))
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        query = query.where(
            field["lat"].between(min_lat, max_lat), field["lon"].between(min_lon, max_lon)
        )
    return query
