"""The service-performance summary tables stay equal to a full recount through every use
case, /performance reads the same figures from them as from the appeals, and
`portal performance-rebuild [--check]` repairs and reports drift."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select, update

from opendata import stats
from portal import performance_cells
from portal.extensions import db
from portal.models import (
    Answer,
    Appeal,
    AppealStatus,
    PerformanceCell,
    Service,
    StatusEvent,
    TokenPurpose,
    utcnow,
)
from portal.queries import performance as perf
from portal.queries import performance_counts as counts
from portal.services.core import ServiceError
from portal.services.moderation import publish_appeal
from portal.services.rating import offer_rating, rate_answer, reopen_appeal
from portal.services.staff_actions import (
    acknowledge,
    answer,
    extend_deadline,
    reroute,
    set_status,
)
from portal.services.tokens import issue_token
from portal.workdays import BISHKEK
from tests.portal.test_submission import form


def drift() -> list[str]:
    return performance_cells.drift(db.session.connection())


def _open(appeals: list[Appeal], rng: random.Random) -> Appeal | None:
    candidates = [a for a in appeals if a.status in (AppealStatus.PUBLISHED,
                  AppealStatus.ACKNOWLEDGED, AppealStatus.IN_PROGRESS, AppealStatus.REOPENED)]  # fmt: skip
    return rng.choice(candidates) if candidates else None


def _actions(client, make_staff, make_appeal):
    """Every use case that changes an appeal's public state, as (name, step(rng, appeals))."""
    moderator = make_staff(role="moderator")
    staff: dict[int, object] = {}

    def staff_of(appeal: Appeal):
        if appeal.service_id not in staff:
            code = db.session.get(Service, appeal.service_id).code
            staff[appeal.service_id] = make_staff(role="service", service=code)
        return staff[appeal.service_id]

    def submit(rng, appeals):
        client.post("/appeals/new", data=form(email=None))
        appeals.append(db.session.scalars(select(Appeal).order_by(Appeal.id.desc())).first())

    def seeded(rng, appeals):  # an older appeal, possibly past its deadline already
        days = rng.randint(1, 90)
        appeals.append(make_appeal(status="published", submitted_at=utcnow() - timedelta(days)))

    def publish(rng, appeals):
        waiting = [a for a in appeals if a.status is AppealStatus.SUBMITTED]
        if waiting:
            publish_appeal(rng.choice(waiting).id, moderator, public_text="Яма на дороге.")

    def ack(rng, appeals):
        if appeal := _open(appeals, rng):
            acknowledge(staff_of(appeal), appeal.public_id)

    def reply(rng, appeals):
        if appeal := _open(appeals, rng):
            answer(staff_of(appeal), appeal.public_id, text="Яма заделана.")

    def rate(rng, appeals):
        done = [a for a in appeals if a.status is AppealStatus.ANSWERED]
        if done:
            appeal = rng.choice(done)
            last = db.session.scalars(
                select(Answer).where(Answer.appeal_id == appeal.id).order_by(Answer.id.desc())
            ).first()
            token = offer_rating(appeal, last)
            db.session.commit()
            score = rng.randint(1, 5)
            rate_answer(token, {"score": score, "solved": "yes" if score > 3 else "no"})

    def reopen(rng, appeals):
        done = [a for a in appeals if a.status is AppealStatus.ANSWERED]
        if done:
            appeal = rng.choice(done)
            token = issue_token(appeal, TokenPurpose.TRACK)
            db.session.commit()
            reopen_appeal(token)

    def duplicate(rng, appeals):
        appeal, original = _open(appeals, rng), _open(appeals, rng)
        if appeal and original and appeal.id != original.id:
            set_status(staff_of(appeal), appeal.public_id, status="duplicate",
                       duplicate_of=original.public_id)  # fmt: skip

    def move(rng, appeals):
        if appeal := _open(appeals, rng):
            others = db.session.scalars(
                select(Service.code).where(
                    Service.city_id == appeal.city_id, Service.id != appeal.service_id
                )
            ).all()
            reroute(staff_of(appeal), appeal.public_id, service_code=rng.choice(others),
                    reason="Это работа другой службы.")  # fmt: skip

    def extend(rng, appeals):
        if appeal := _open(appeals, rng):
            extend_deadline(staff_of(appeal), appeal.public_id, days=5, reason="Нужна техника.")

    return [submit, seeded, publish, ack, reply, rate, reopen, duplicate, move, extend]


@pytest.mark.parametrize("seed", [1, 2])
def test_cells_equal_a_full_recount_after_any_sequence_of_use_cases(
    seed, client, make_staff, make_appeal
):
    rng = random.Random(seed)
    actions = _actions(client, make_staff, make_appeal)
    appeals: list[Appeal] = []
    for step in range(60):
        action = actions[step % 2] if step < 6 else rng.choice(actions)
        try:
            action(rng, appeals)
        except ServiceError:
            db.session.rollback()  # refused use cases change nothing
        db.session.expire_all()
        assert drift() == [], f"after step {step} ({action.__name__})"
    kinds = {getattr(k, "value", k) for k in db.session.scalars(select(StatusEvent.kind))}
    every = {"published", "acknowledged", "answered", "rated", "reopened", "closed", "rerouted"}
    assert every <= kinds  # not vacuous: every use case ran at least once


def test_a_rolled_back_change_leaves_the_cells_alone(make_appeal):
    appeal = make_appeal(status="published")
    before = performance_cells.stored(db.session.connection())
    db.session.execute(
        update(Appeal).where(Appeal.id == appeal.id).values(status=AppealStatus.WITHDRAWN)
    )
    db.session.rollback()
    appeal.status = AppealStatus.CLOSED
    db.session.commit()
    assert performance_cells.stored(db.session.connection()) != before
    assert drift() == []


def test_figures_from_the_cells_equal_the_figures_from_the_appeals(app, make_appeal, make_answer):
    now = utcnow()
    for days in range(3, 135, 6):
        for service in ("bsk-roads", "bsk-svet"):
            appeal = make_appeal(service=service, submitted_at=now - timedelta(days=days))
            if days % 2:
                make_answer(appeal, at=appeal.submitted_at + timedelta(days=days // 10))
    for _ in range(5):  # late last month, unanswered: within the deadline now, not in a month
        make_appeal(service="bsk-roads", submitted_at=now - timedelta(days=now.day + 1))
    # Whole months; months covered in part, by less than half (counted) or more (the
    # month's cells minus the rest, before and after); up to today; within one month.
    today = now.astimezone(BISHKEK).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    windows = [stats.default_window(today),
               (today - timedelta(days=125), today - timedelta(days=2)),
               (today - timedelta(days=100), today),
               (last_month + timedelta(days=1), last_month + timedelta(days=25))]  # fmt: skip
    # "Overdue now" moves with time, without any write: read a month later too.
    moments = (now, now + timedelta(days=31))
    results = []
    for live in (False, True):
        for start, end in windows:
            for moment in moments:
                found = perf.compute_performance_set(start, end, now=moment, from_appeals=live)
                results.append((live, start, moment, found.groups))
            for name in ("channel", "kind"):
                by_value = counts.figures_by(name, start, end, None, from_appeals=live)
                results.append((live, start, name, by_value))
    half = len(results) // 2
    assert [r[1:] for r in results[:half]] == [r[1:] for r in results[half:]]
    overdue = [sum(row.overdue_open or 0 for row in r[3]["service"]) for r in results[:2]]
    assert overdue[0] < overdue[1]  # a month later more of them are past their deadline


def test_windows_starting_or_ending_within_a_month_sum_exact_days(app, make_appeal, make_answer):
    """Days of a month covered in part come from the per-day tables: the same figures as
    a recount from the appeals, at the edges of days in Asia/Bishkek (UTC+6) too."""
    first = date(2025, 3, 1)
    for offset in range(92):  # March to May 2025, every day, just after and before midnight
        day = first + timedelta(days=offset)
        minutes = 10 if offset % 2 else 23 * 60 + 50
        moment = datetime.combine(day, time(), tzinfo=BISHKEK) + timedelta(minutes=minutes)
        service = ("bsk-roads", "bsk-svet")[offset % 3 == 0]
        appeal = make_appeal(service=service, submitted_at=moment.astimezone(UTC))
        if offset % 4:
            make_answer(appeal, at=appeal.submitted_at + timedelta(days=offset % 9))
    windows = [(date(2025, 3, 10), date(2025, 4, 20)),  # ends within a month, before half
               (date(2025, 3, 2), date(2025, 5, 30)),  # the months minus a day or two
               (date(2025, 4, 16), date(2025, 4, 16)),  # one day
               (date(2025, 4, 5), date(2025, 4, 28)),  # most of one month
               (date(2025, 3, 31), date(2025, 4, 1))]  # fmt: skip
    now = utcnow()
    for start, end in windows:
        tables = perf.compute_performance_set(start, end, now=now)
        appeals = perf.compute_performance_set(start, end, now=now, from_appeals=True)
        assert tables.groups == appeals.groups, (start, end)
        months = stats.month_starts(start, end)
        found = counts.fold(counts.count_rows(start, end, None, months, now))["month"]
        assert sum(c.received for c in found.values()) == (end - start).days + 1  # one a day
        for name in ("channel", "kind"):
            assert counts.figures_by(name, start, end, None) == counts.figures_by(
                name, start, end, None, from_appeals=True
            )
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        perf.compute_performance_set(date(2025, 3, 10), date(2025, 4, 20), now=now)
        counts.figures_by("kind", date(2025, 3, 10), date(2025, 4, 20), None)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert any("performance_days" in s for s in statements)
    assert not any("FROM appeals" in s for s in statements)  # nothing counted from appeals


def test_rebuild_and_check(app, make_appeal):
    runner = app.test_cli_runner()
    make_appeal(status="published")
    make_appeal(status="published", submitted_at=datetime(2025, 3, 3, 4, tzinfo=UTC))
    db.session.commit()
    assert runner.invoke(args=["performance-rebuild", "--check"]).exit_code == 0
    db.session.execute(update(PerformanceCell).values(received=PerformanceCell.received + 1))
    db.session.commit()
    failed = runner.invoke(args=["performance-rebuild", "--check"])
    assert failed.exit_code == 1 and "stored" in failed.output
    assert runner.invoke(args=["performance-rebuild"]).exit_code == 0
    assert runner.invoke(args=["performance-rebuild", "--check"]).exit_code == 0
    assert drift() == []


def test_the_migration_fills_the_tables_of_a_populated_database(app, make_appeal, make_answer):
    from alembic import command
    from sqlalchemy import inspect

    from portal.schema_upgrade import migrate

    make_answer(make_appeal(status="published"))
    make_appeal(status="published", submitted_at=datetime(2025, 3, 3, 4, tzinfo=UTC))
    make_appeal(status="submitted")
    expected = performance_cells.stored(db.session.connection())
    db.session.remove()
    config = migrate().get_config()
    command.downgrade(config, "3b8e5d2f7a91")
    assert "performance_cells" not in inspect(db.engine).get_table_names()
    command.upgrade(config, "head")
    found = performance_cells.stored(db.session.connection())
    assert found == expected
    assert [len(found[t]) for t in ("performance_cells", "performance_open")] == [2, 1]
    assert [len(found[t]) for t in ("performance_days", "performance_kind_days")] == [2, 2]
    assert drift() == []
