"""Working-day arithmetic for legal deadlines (weekends and Kyrgyz public holidays)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.workdays import WorkCalendar


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


def test_weekends_and_statutory_holidays_are_not_working_days(calendar):
    assert not calendar.is_working_day(date(2026, 11, 21))  # Saturday
    assert not calendar.is_working_day(date(2026, 1, 1))  # New Year
    assert not calendar.is_working_day(date(2026, 3, 8))  # Women's Day (a Sunday anyway)
    assert not calendar.is_working_day(date(2026, 3, 20))  # Orozo Ait 2026
    assert not calendar.is_working_day(date(2026, 3, 21))  # Nooruz
    assert calendar.is_working_day(date(2026, 11, 23))  # an ordinary Monday


def test_fourteen_working_days_skip_a_weekend_pair(calendar):
    # Monday 2 November 2026 + 14 working days = Friday 20 November (no holidays between)
    assert calendar.add_working_days(date(2026, 11, 2), 14) == date(2026, 11, 20)


def test_deadline_across_the_year_end_skips_new_year_holidays(calendar):
    # From Friday 25 December 2026: 28, 29, 30, 31 Dec are working days, 1–7 January are
    # holidays/weekend (KG), then 8 January 2027 onwards.
    due = calendar.add_working_days(date(2026, 12, 25), 14)
    assert due == date(2027, 1, 21)
    assert calendar.working_days_between(date(2026, 12, 25), due) == 14


def test_deadline_across_the_nooruz_holidays(calendar):
    # Thursday 19 March 2026: 20 (Orozo Ait), 21 (Nooruz), 22 (Sunday) are off.
    assert calendar.add_working_days(date(2026, 3, 19), 1) == date(2026, 3, 23)


def test_decreed_days_override_the_statutory_calendar():
    calendar = WorkCalendar(extra_holidays=["2026-11-23"], extra_working_days=["2026-11-21"])
    assert not calendar.is_working_day(date(2026, 11, 23))
    assert calendar.is_working_day(date(2026, 11, 21))
    assert calendar.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 21)


def test_due_at_is_the_end_of_the_local_working_day(calendar):
    # 20:00 UTC on Monday is already Tuesday 02:00 in Bishkek: Tuesday counts as day 0.
    submitted = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
    due = calendar.due_at(submitted, 1)
    assert due.date() == date(2026, 11, 4)
    assert (due.hour, due.minute) == (23, 59)
    assert due.utcoffset().total_seconds() == 6 * 3600


def test_workdays_elapsed_is_zero_on_the_same_day(calendar):
    start = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)
    assert calendar.workdays_elapsed(start, datetime(2026, 11, 2, 10, 0, tzinfo=UTC)) == 0
    assert calendar.workdays_elapsed(start, datetime(2026, 11, 9, 10, 0, tzinfo=UTC)) == 5


def test_negative_day_counts_are_refused(calendar):
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 11, 2), -1)
