"""Applying AppealFilters to a public appeals SELECT (one place for map, list, exports)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import Select

from portal.models import OPEN_STATUSES, Appeal, Category, City, District, Service, utcnow
from portal.schemas.filters import AppealFilters
from portal.workdays import BISHKEK


def apply_filters(query: Select, filters: AppealFilters) -> Select:
    """Add WHERE clauses for the filters to a query built on public_appeals_select()."""
    if filters.city:
        query = query.where(City.slug == filters.city)
    if filters.category:
        query = query.where(Category.code == filters.category)
    if filters.service:
        query = query.where(Service.code == filters.service)
    if filters.district:
        query = query.where(District.slug == filters.district)
    if filters.status:
        query = query.where(Appeal.status == filters.status)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, tzinfo=BISHKEK)
        query = query.where(Appeal.submitted_at >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=BISHKEK)
        query = query.where(Appeal.submitted_at < end)
    if filters.overdue:
        query = query.where(Appeal.status.in_(OPEN_STATUSES), Appeal.due_at < utcnow())
    if filters.bbox:
        min_lon, min_lat, max_lon, max_lat = filters.bbox
        query = query.where(
            Appeal.public_lat.between(min_lat, max_lat),
            Appeal.public_lon.between(min_lon, max_lon),
        )
    return query
