"""The service inbox: open appeals by deadline, overdue first, working days left, filters,
pagination."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import AppealStatus
from portal.queries.inbox import inbox_page, workdays_left
from portal.schemas.staff import InboxFilters
from portal.services.core import work_calendar
from portal.workdays import BISHKEK


@pytest.fixture
def owner(make_staff, login_as):
    user = make_staff(role="service", service="bsk-roads")
    login_as(user)
    return user


def ids_in(page: str) -> list[str]:
    return re.findall(r'href="/staff/appeals/(BSK-\d{4}-\d{6})"', page)


def test_open_appeals_are_sorted_by_deadline_overdue_first(client, owner, make_appeal):
    now = datetime.now(UTC)
    old = make_appeal(submitted_at=now - timedelta(days=60))  # overdue
    new = make_appeal(submitted_at=now - timedelta(days=1))
    middle = make_appeal(submitted_at=now - timedelta(days=8))
    answered = make_appeal(submitted_at=now - timedelta(days=3))
    answered.status = AppealStatus.ANSWERED
    closed = make_appeal(submitted_at=now - timedelta(days=3))
    closed.status = AppealStatus.CLOSED
    db.session.commit()
    page = client.get("/staff/inbox?lang=en").get_data(as_text=True)
    assert ids_in(page) == [old.public_id, middle.public_id, new.public_id]
    assert "1 overdue" in page and "3 appeals" in page
    assert 'class="is-overdue"' in page


def test_working_days_left_skip_weekends_and_holidays(app):
    calendar = work_calendar()
    # Thursday 30 April 2026 → the next working day is Monday 11 May (May holidays).
    due = datetime(2026, 5, 11, 23, 59, 59, tzinfo=BISHKEK)
    assert workdays_left(calendar, date(2026, 4, 30), due) == 1
    assert workdays_left(calendar, date(2026, 5, 11), due) == 0  # due today
    assert workdays_left(calendar, date(2026, 5, 13), due) == -2  # overdue by two
    assert workdays_left(calendar, date(2026, 5, 16), due) == -4  # Saturday after Friday


def test_the_inbox_shows_working_days_left(app, owner, make_appeal):
    appeal = make_appeal(submitted_at=datetime(2026, 4, 20, 9, tzinfo=BISHKEK))
    now = datetime(2026, 4, 30, 12, tzinfo=BISHKEK)
    page = inbox_page(owner.service_id, InboxFilters(), per_page=25,
                      calendar=work_calendar(), now=now)  # fmt: skip
    row = page.rows[0]
    assert row.public_id == appeal.public_id
    expected = work_calendar().working_days_between(
        date(2026, 4, 30), row.due_at.astimezone(BISHKEK).date()
    )
    assert row.workdays_left == expected > 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=acknowledged", ["ack"]),
        ("status=answered", ["answered"]),
        ("category=sidewalk", ["sidewalk"]),
        ("overdue=1", ["overdue"]),
        ("district=oktyabrsky", []),
        ("category=sidewalk&status=acknowledged", []),
    ],
)
def test_filters(client, owner, make_appeal, query, expected):
    now = datetime.now(UTC)
    made = {
        "overdue": make_appeal(submitted_at=now - timedelta(days=60)),
        "ack": make_appeal(),
        "answered": make_appeal(),
        "sidewalk": make_appeal(category="sidewalk"),
    }
    made["ack"].status = AppealStatus.ACKNOWLEDGED
    made["answered"].status = AppealStatus.ANSWERED
    db.session.commit()
    page = client.get(f"/staff/inbox?{query}").get_data(as_text=True)
    assert sorted(ids_in(page)) == sorted(made[name].public_id for name in expected)


def test_search_by_number(client, owner, make_appeal):
    one, other = make_appeal(), make_appeal()
    page = client.get(f"/staff/inbox?public_id={one.public_id}").get_data(as_text=True)
    assert ids_in(page) == [one.public_id]
    assert other.public_id not in ids_in(page)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=rejected", "Unknown status."),
        ("page=0", "Page must be between 1 and 100000."),
        ("page=abc", "Enter a whole number."),
        ("category=DROP%20TABLE", "Use 1–40 lowercase letters, digits, - or _."),
        ("public_id=123", "Use an appeal number like BSK-2026-000123."),
    ],
)
def test_bad_filters_get_translated_field_errors(client, owner, query, message):
    response = client.get(f"/staff/inbox?{query}&lang=en")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_pagination(app, client, owner, make_appeal):
    app.config["PAGE_SIZE"] = 2
    now = datetime.now(UTC)
    made = [make_appeal(submitted_at=now - timedelta(days=30 - i)) for i in range(5)]
    first = client.get("/staff/inbox?lang=en").get_data(as_text=True)
    assert ids_in(first) == [made[0].public_id, made[1].public_id]
    assert "Page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/staff/inbox?page=3&lang=en").get_data(as_text=True)
    assert ids_in(last) == [made[4].public_id]
    assert 'rel="prev"' in last and 'rel="next"' not in last
    beyond = client.get("/staff/inbox?page=9").get_data(as_text=True)
    assert ids_in(beyond) == []


def test_pagination_keeps_the_filters(app, client, owner, make_appeal):
    app.config["PAGE_SIZE"] = 1
    make_appeal(category="sidewalk")
    make_appeal(category="sidewalk")
    page = client.get("/staff/inbox?category=sidewalk").get_data(as_text=True)
    assert "/staff/inbox?category=sidewalk&amp;page=2" in page


def test_an_empty_inbox_says_so(client, owner):
    page = client.get("/staff/inbox?lang=en").get_data(as_text=True)
    assert "No appeals match." in page


def test_fast_working_day_count_matches_the_calendar():
    import random

    from portal.queries.inbox import working_days_between
    from portal.workdays import WorkCalendar

    calendar = WorkCalendar(["2026-06-01"], ["2026-01-03"])
    rnd = random.Random(7)
    for _ in range(2000):
        start = date(2023, 1, 1) + timedelta(days=rnd.randrange(1500))
        end = start + timedelta(days=rnd.randrange(-30, 900))
        assert working_days_between(calendar, start, end) == calendar.working_days_between(
            start, end
        )
