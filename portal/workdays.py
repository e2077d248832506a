"""Working days for legal deadlines: weekends and Kyrgyz public holidays.

Kyrgyz law counts answer deadlines in working days. The statutory holidays come from the
``holidays`` package; days moved by government decree are added through settings
(EXTRA_HOLIDAYS, EXTRA_WORKING_DAYS).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

BISHKEK = ZoneInfo("Asia/Bishkek")


def local_iso(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in Asia/Bishkek with its offset, to the second
    (``2026-03-01T14:05:00+06:00``): the convention of the datasets, used by the JSON API
    too. A naive value is UTC, as the database stores it."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BISHKEK).isoformat(timespec="seconds")


@cache
def _statutory_holidays(year: int) -> frozenset[date]:
    import holidays  # on first use: a web worker may never need it

    return frozenset(holidays.country_holidays("KG", years=year))


class WorkCalendar:
    """A calendar of working days in one time zone."""

    def __init__(
        self,
        extra_holidays: Iterable[date | str] = (),
        extra_working_days: Iterable[date | str] = (),
        tz: ZoneInfo = BISHKEK,
    ) -> None:
        self.extra_holidays = frozenset(_as_date(d) for d in extra_holidays)
        self.extra_working_days = frozenset(_as_date(d) for d in extra_working_days)
        self.tz = tz
        # Deadlines are computed for many appeals per day: memoise per instance.
        self.add_working_days = lru_cache(maxsize=4096)(self._add_working_days)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a public holiday, unless declared a working day."""
        if day in self.extra_working_days:
            return True
        if day.weekday() >= 5 or day in self.extra_holidays:
            return False
        return day not in _statutory_holidays(day.year)

    def _add_working_days(self, start: date, days: int) -> date:
        """The date of the ``days``-th working day after ``start`` (start itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        while days:
            current += timedelta(days=1)
            if self.is_working_day(current):
                days -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def local_date(self, instant: datetime) -> date:
        """The calendar date of an aware instant in this calendar's time zone."""
        return instant.astimezone(self.tz).date()

    def due_at(self, start: datetime, days: int) -> datetime:
        """End (23:59:59 local) of the ``days``-th working day after the day of ``start``."""
        due_day = self.add_working_days(self.local_date(start), days)
        return datetime.combine(due_day, time(23, 59, 59), tzinfo=self.tz)

    def workdays_elapsed(self, start: datetime, end: datetime) -> int:
        """Working days from the day of ``start`` to the day of ``end`` (same day: 0)."""
        return self.working_days_between(self.local_date(start), self.local_date(end))


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
