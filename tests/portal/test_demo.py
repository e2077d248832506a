"""`portal seed-demo` looks like a working city: a past that ends now, services that mostly
keep their deadlines, answers that match the problem, streets of the right city, varied
texts, and no second batch by accident."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.demo import texts
from portal.demo.reference import CATEGORIES
from portal.extensions import db
from portal.models import (
    OPEN_STATUSES,
    Answer,
    Appeal,
    AppealPrivate,
    Category,
    City,
    Service,
    StatusEvent,
    UTCDateTime,
)
from portal.services.core import work_calendar
from tests.conftest import drop_schema

#: Columns that hold a moment still to come by nature (a deadline, an expiry), not an event.
FUTURE_BY_NATURE = {("appeals", "due_at"), ("access_tokens", "expires_at"),
                    ("login_throttle", "locked_until"),
                    ("performance_open", "due_at")}  # fmt: skip
#: Categories whose answers may speak of garbage ("мусор").
GARBAGE_CATEGORIES = {"garbage", "illegal_dump", "air_pollution", "park", "illegal_trade"}
GROUPS = {c.code: c.group for c in CATEGORIES}
PAST_DAY = "2026-11-19"  # a Thursday: a fixed "today" gives the same city on every run
PAST_NOW = datetime(2026, 11, 19, 12, tzinfo=UTC)  # 18:00 in Bishkek, the history's end


def seed(runner, *args: str):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result


def test_no_timestamp_lies_after_now(runner):
    seed(runner, "--appeals", "400", "--seed", "7")  # the history ends today, now
    future = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    seed(runner, "--appeals", "200", "--today", future, "--append")  # a later "today" too
    now = datetime.now(UTC)
    checked = 0
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, UTCDateTime):
                continue
            if (table.name, column.name) in FUTURE_BY_NATURE:
                continue
            latest = db.session.scalar(select(func.max(column)))
            assert latest is None or latest <= now, (table.name, column.name, latest)
            checked += latest is not None
    assert checked >= 8  # published, acknowledged, answered, rated, closed, events…


def test_services_mostly_keep_their_deadlines(runner):
    seed(runner, "--appeals", "5000", "--seed", "2", "--today", PAST_DAY)
    rows = db.session.execute(
        select(Appeal.due_at).where(Appeal.status.in_(OPEN_STATUSES))
    ).scalars()
    dues = list(rows)
    overdue = [due for due in dues if due < PAST_NOW]
    assert len(dues) >= 20
    assert 0.05 <= len(overdue) / len(dues) <= 0.25
    calendar = work_calendar()
    worst = max(calendar.workdays_elapsed(due, PAST_NOW) for due in overdue)
    assert worst <= 40  # late, never "просрочено 476 рабочих дней"
    on_time = db.session.execute(
        select(Service.code, func.avg(func.cast(Appeal.answered_on_time, db.Integer)))
        .join(Service, Appeal.service_id == Service.id)
        .where(Appeal.first_answer_at.is_not(None))
        .group_by(Service.code)
        .having(func.count() >= 30)
    ).all()
    keeping = [code for code, share in on_time if share >= 0.8]
    assert len(keeping) >= 0.7 * len(on_time)  # most answer within the deadline
    assert len(keeping) < len(on_time)  # and a few struggle


def test_answers_match_the_problem(runner):
    seed(runner, "--appeals", "400", "--seed", "4", "--today", PAST_DAY)
    rows = db.session.execute(
        select(Answer.public_text, Category.code)
        .join(Appeal, Answer.appeal_id == Appeal.id)
        .join(Category, Appeal.category_id == Category.id)
    ).all()
    assert len(rows) > 100
    for text, code in rows:
        allowed = {
            body
            for kind in ("done", "planned", "refused")
            for body in texts.answer_bodies(code, GROUPS[code], kind)
        }
        assert texts.answer_core(text) in allowed, (code, text)
        if code not in GARBAGE_CATEGORIES:
            assert "мусор" not in text, (code, text)


def test_streets_belong_to_the_city(runner):
    seed(runner, "--appeals", "400", "--seed", "5", "--today", PAST_DAY)
    rows = db.session.execute(
        select(City.code, AppealPrivate.raw_text).select_from(Appeal).join(City).join(AppealPrivate)
    ).all()
    foreign = {"OSH": ("Чуй", "Чүй", "Chui", "Ахунбаев", "Джал"),
               "BSK": ("Курманжан", "Жайма", "Jayma", "Масалиев", "Masaliev")}  # fmt: skip
    assert {city for city, _ in rows} == {"BSK", "OSH"}
    for city, raw in rows:
        assert not any(name in raw for name in foreign[city]), (city, raw)
        assert any(place in raw for lang in ("ru", "ky", "en")
                   for place in texts.city_places(city, lang)), (city, raw)  # fmt: skip


def test_descriptions_rarely_repeat(runner):
    seed(runner, "--appeals", "400", "--seed", "6", "--today", PAST_DAY)
    descriptions = db.session.scalars(select(AppealPrivate.raw_text)).all()
    assert max(Counter(descriptions).values()) <= 3


def test_a_second_run_refuses_unless_appending(runner):
    seed(runner, "--appeals", "50", "--today", PAST_DAY)
    again = runner.invoke(args=["seed-demo", "--appeals", "50", "--today", PAST_DAY])
    assert again.exit_code != 0
    assert "already has 50 appeals" in again.output and "--append" in again.output
    assert db.session.scalar(select(func.count(Appeal.id))) == 50
    seed(runner, "--appeals", "30", "--today", PAST_DAY, "--append")
    ids = db.session.scalars(select(Appeal.public_id)).all()
    assert len(ids) == len(set(ids)) == 80


def _fingerprint() -> tuple[list, list, list]:
    appeals = db.session.execute(
        select(Appeal.public_id, Appeal.status, Appeal.submitted_at, Appeal.due_at,
               Appeal.public_text, Appeal.first_answer_at).order_by(Appeal.id)
    ).all()  # fmt: skip
    answers = db.session.execute(
        select(Answer.appeal_id, Answer.created_at, Answer.public_text).order_by(Answer.id)
    ).all()
    events = db.session.execute(
        select(StatusEvent.appeal_id, StatusEvent.kind, StatusEvent.created_at).order_by(
            StatusEvent.id
        )
    ).all()
    return appeals, answers, events


def test_the_same_seed_gives_the_same_city(runner):
    seed(runner, "--appeals", "200", "--seed", "11", "--today", PAST_DAY)
    first = _fingerprint()
    drop_schema()
    runner.invoke(args=["init-db"])
    seed(runner, "--appeals", "200", "--seed", "11", "--today", PAST_DAY)
    assert _fingerprint() == first
    drop_schema()
    runner.invoke(args=["init-db"])
    seed(runner, "--appeals", "200", "--seed", "12", "--today", PAST_DAY)
    assert _fingerprint()[0] != first[0]


@pytest.mark.postgres
def test_postgres_plans_with_the_seeded_sizes(runner):
    """The planner knows how many appeals the demo wrote (ANALYZE after seeding), instead of
    planning for empty tables until autovacuum comes by."""
    seed(runner, "--appeals", "200", "--seed", "11", "--today", PAST_DAY)
    sql = "SELECT reltuples FROM pg_class WHERE relname = 'appeals'"
    known = db.session.connection().exec_driver_sql(sql).scalar_one()
    assert known == 200


def test_the_demo_draws_only_values_the_public_record_allows():
    from opendata import schema
    from portal.demo.generate import DRAWN

    for name, per_city in DRAWN.items():
        spec = schema.APPEALS.field(name)
        for choices in per_city.values():
            for value, weight in choices:
                allowed = value in spec.enum if spec.enum else re.match(spec.pattern, value)
                assert allowed and weight > 0, (name, value)
