"""What the demo generator starts from: the reference rows of the database, as plain
picklable data, and working-day arithmetic over a fixed range of dates."""

from __future__ import annotations

import bisect
import itertools
from collections import namedtuple
from datetime import date, timedelta

from sqlalchemy import Connection, select

from opendata.geomask import BBox
from portal.demo.reference import CATEGORIES, CITIES, SERVICES
from portal.models import Category, City, District, Service
from portal.workdays import WorkCalendar

LOCAL_OFFSET = 6 * 3600  # Asia/Bishkek, UTC+06:00 all year
DAY = 86400


class WorkdayIndex:
    """O(1) working-day arithmetic over a fixed range of dates (ordinals)."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self.first = first.toordinal()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.workdays = [d.toordinal() for d in days if calendar.is_working_day(d)]
        # position[i]: number of working days up to and including ordinal first + i
        self.position = [bisect.bisect_right(self.workdays, d.toordinal()) for d in days]

    def add(self, ordinal: int, days: int) -> int:
        """Ordinal of the ``days``-th working day after ``ordinal``."""
        return self.workdays[self.position[ordinal - self.first] + days - 1]

    def between(self, start: int, end: int) -> int:
        """Working days after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        return self.position[end - self.first] - self.position[start - self.first]


def local_ordinal(ts: float) -> int:
    """Ordinal of the local (Bishkek) date of a UTC epoch timestamp."""
    return int((ts + LOCAL_OFFSET) // DAY) + 719163  # 719163 = date(1970, 1, 1).toordinal()


def end_of_local_day(ordinal: int) -> float:
    """UTC timestamp of 23:59:59 Bishkek time on the given date ordinal."""
    return (ordinal - 719163) * DAY + DAY - 1 - LOCAL_OFFSET


CityRow = namedtuple("CityRow", "id code min_lat min_lon max_lat max_lon")
DistrictRow = namedtuple("DistrictRow", "id center_lat center_lon")
CategoryRow = namedtuple("CategoryRow", "id code tier deadline_days default_service_id group")


def _city_rows(conn: Connection, city_id: int, model, *columns) -> list:
    """One city's rows of ``model`` (``columns``, else whole rows), in key order: the
    generator draws from these lists by position, so an order left to the planner (which
    changes once PostgreSQL has statistics) would give another city for the same seed."""
    query = select(*columns) if columns else select(model)
    return conn.execute(query.where(model.city_id == city_id).order_by(model.id)).all()


def load_reference(conn: Connection) -> list[dict]:
    """Cities with their districts, services and categories, as plain picklable data."""
    profiles = {s.code: s for s in SERVICES}
    weights = {c.code: c.weight for c in CATEGORIES}
    groups = {c.code: c.group for c in CATEGORIES}
    cities = []
    for city in conn.execute(select(City).order_by(City.id)).all():
        districts = [
            DistrictRow(*row)
            for row in _city_rows(
                conn, city.id, District, District.id, District.center_lat, District.center_lon
            )
        ]
        services = {
            row.id: profiles[row.code]
            for row in _city_rows(conn, city.id, Service, Service.id, Service.code)
        }
        categories = [
            CategoryRow(
                row.id,
                row.code,
                row.privacy_tier.value,
                row.deadline_days,
                row.default_service_id,
                groups[row.code],
            )  # fmt: skip
            for row in _city_rows(conn, city.id, Category)
        ]
        ref = next(r for r in CITIES if r.code == city.code)
        cities.append(
            {
                "row": CityRow(
                    city.id, city.code, city.min_lat, city.min_lon, city.max_lat, city.max_lon
                ),  # fmt: skip
                "bbox": BBox(city.min_lat, city.min_lon, city.max_lat, city.max_lon),
                "districts": districts,
                "services": services,
                "service_ids": list(services),
                "categories": categories,
                "category_cum": list(itertools.accumulate(weights[c.code] for c in categories)),
                "hot_spots": ref.hot_spots,
                "spot_cum": list(itertools.accumulate(spot[2] for spot in ref.hot_spots)),
            }
        )
    return cities
