"""Query string of /performance and its JSON/CSV twins: the window, the city, the grouping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, post_load, validate, validates_schema

from opendata import stats
from portal.schemas import fields as f

#: The longest window anyone may ask for (five years), to keep one query bounded.
MAX_WINDOW_DAYS = 5 * 366
EARLIEST = date(2000, 1, 1)
DATE_ERROR = {"invalid": _l("Use a date like 2026-01-31.")}


@dataclass(frozen=True)
class PerformanceQuery:
    """A validated request: the window is always explicit and printed with the figures."""

    window_start: date
    window_end: date
    city: str | None = None
    group: str | None = None  # one grouping (CSV, JSON); None: every grouping (JSON)
    default_window: bool = True
    service: str | None = None  # one service's appeals only (a service code)

    def query_args(self, **changes) -> dict[str, str]:
        """The request as URL arguments (twin links carry the same window and city)."""
        args = {"from": self.window_start.isoformat(), "to": self.window_end.isoformat()}
        if self.city:
            args["city"] = self.city
        if self.group:
            args["group"] = self.group
        if self.service:
            args["service"] = self.service
        args.update({k: v for k, v in changes.items() if v is not None})
        return {k: v for k, v in args.items() if v != ""}


class PerformanceQuerySchema(Schema):
    """``from``/``to`` (dates, Asia/Bishkek), ``city`` (a known city), ``group``."""

    class Meta:
        unknown = "exclude"

    date_from = f.Date(data_key="from", error_messages=DATE_ERROR)
    date_to = f.Date(data_key="to", error_messages=DATE_ERROR)
    city = f.String()
    service = f.String(metadata={"description": "Service code: that service's appeals only."})
    group = f.String(validate=validate.OneOf(stats.GROUPINGS, error=_l("Unknown grouping.")))

    def __init__(
        self, *, today: date, cities: tuple[str, ...], services: tuple[str, ...] = (), **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.today = today
        self.cities = cities
        self.services = services

    @validates_schema
    def check(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        if "city" in data and data["city"] not in self.cities:
            errors["city"] = [str(_l("Unknown city."))]
        if "service" in data and data["service"] not in self.services:
            errors["service"] = [str(_l("Unknown service."))]
        start, end = data.get("date_from"), data.get("date_to")
        if start and start < EARLIEST:
            errors["from"] = [str(_l("The window cannot start before 2000."))]
        if start and start > self.today:
            errors["from"] = [str(_l("The window cannot start in the future."))]
        if end and end > self.today:
            errors["to"] = [str(_l("The window cannot end in the future."))]
        if start and end:
            if start > end:
                errors["to"] = [str(_l("The start date is after the end date."))]
            elif (end - start).days > MAX_WINDOW_DAYS:
                errors["to"] = [str(_l("The window can be at most five years long."))]
        if errors:
            raise ValidationError(errors)

    @post_load
    def make_query(self, data, **kwargs) -> PerformanceQuery:
        start, end = data.get("date_from"), data.get("date_to")
        default_start, default_end = stats.default_window(self.today)
        if start is None and end is None:
            start, end = default_start, default_end
        elif end is None:
            end = default_end if start <= default_end else self.today
        elif start is None:
            start = _months_before(end, stats.DEFAULT_WINDOW_MONTHS)
        if (end - start).days > MAX_WINDOW_DAYS:
            raise ValidationError({"from": [str(_l("The window can be at most five years long."))]})
        return PerformanceQuery(
            start,
            end,
            data.get("city"),
            data.get("group"),
            default_window=(start, end) == (default_start, default_end),
            service=data.get("service"),
        )


class CardQuerySchema(Schema):
    """The query string a service's report card reads: the window only (``from``, ``to``,
    validated as on /performance). Names only: parse with ``parse_performance_query``."""

    date_from = f.Date(data_key="from", error_messages=DATE_ERROR)
    date_to = f.Date(data_key="to", error_messages=DATE_ERROR)


def _months_before(end: date, months: int) -> date:
    """The day after the same day ``months`` months earlier (a window of ``months`` months)."""
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    day = min(end.day, 28)
    return date(year, month + 1, day) + timedelta(days=1)


def parse_performance_query(
    args, *, today: date, cities: tuple[str, ...], services: tuple[str, ...] = ()
) -> PerformanceQuery:
    """Validate query arguments (empty values mean "default"); raises ValidationError."""
    cleaned = {key: value for key, value in args.items() if value not in ("", None)}
    return PerformanceQuerySchema(today=today, cities=cities, services=services).load(cleaned)
