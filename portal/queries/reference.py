"""Reference data (cities, districts, services, categories) with names in three languages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from opendata.records import NamedRecord
from portal.extensions import db
from portal.models import Category, City, District, Service


@dataclass(frozen=True)
class Reference:
    """Lookups from public codes to named records, for display."""

    cities: dict[str, NamedRecord]
    districts: dict[tuple[str, str], NamedRecord]  # (city, district)
    services: dict[str, NamedRecord]
    categories: dict[tuple[str, str], NamedRecord]  # (city, category)


def load_reference() -> Reference:
    """All reference records (a few hundred rows at most)."""
    cities = {
        c.slug: NamedRecord(
            c.slug,
            c.name_ru,
            c.name_ky,
            c.name_en,
            extra={"code": c.code, "bbox": [c.min_lon, c.min_lat, c.max_lon, c.max_lat]},
        )  # fmt: skip
        for c in db.session.scalars(select(City).order_by(City.id))
    }
    city_slug = {c.id: c.slug for c in db.session.scalars(select(City))}
    districts = {
        (city_slug[d.city_id], d.slug): NamedRecord(
            d.slug, d.name_ru, d.name_ky, d.name_en, city=city_slug[d.city_id]
        )
        for d in db.session.scalars(select(District).order_by(District.id))
    }
    services = {
        s.code: NamedRecord(s.code, s.name_ru, s.name_ky, s.name_en, city=city_slug[s.city_id])
        for s in db.session.scalars(select(Service).order_by(Service.id))
    }
    categories = {
        (city_slug[c.city_id], c.code): NamedRecord(
            c.code,
            c.name_ru,
            c.name_ky,
            c.name_en,
            city=city_slug[c.city_id],
            group=c.group,
            extra={"privacy_tier": c.privacy_tier.value, "deadline_days": c.deadline_days},
        )  # fmt: skip
        for c in db.session.scalars(select(Category).order_by(Category.id))
    }
    return Reference(cities, districts, services, categories)
