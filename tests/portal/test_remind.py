"""``portal remind``: each service gets its appeals due within 2 working days and overdue."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AppealStatus, Service
from portal.workdays import BISHKEK

#: Thursday 30 April 2026, 09:00 in Bishkek: 1–10 May are holidays and weekends, so
#: "within 2 working days" reaches the end of Tuesday 12 May.
NOW = "2026-04-30T09:00:00+06:00"


def due(make_appeal, day: tuple[int, int], *, category="pothole", status="published"):
    appeal = make_appeal(category=category)
    appeal.due_at = datetime(2026, *day, 23, 59, 59, tzinfo=BISHKEK)
    appeal.status = AppealStatus(status)
    db.session.commit()
    return appeal


@pytest.fixture
def outbox(monkeypatch):
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr("portal.mail.send_mail", lambda to, s, b: sent.append((to, s, b)))
    return sent


def test_remind_lists_overdue_and_due_soon_across_holidays(runner, make_appeal, outbox):
    overdue = due(make_appeal, (4, 29))
    soon = due(make_appeal, (5, 12))
    later = due(make_appeal, (5, 13))
    answered = due(make_appeal, (4, 20), status="answered")
    light = due(make_appeal, (4, 1), category="street_light")  # another service
    result = runner.invoke(args=["remind", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "Reminded 2 services: 2 overdue, 1 due soon." in result.output
    by_address = {to: body for to, _, body in outbox}
    roads = by_address["bsk-roads@services.achyk-shaar.kg"]
    assert overdue.public_id in roads and soon.public_id in roads
    assert later.public_id not in roads and answered.public_id not in roads
    assert roads.index(overdue.public_id) < roads.index(soon.public_id)  # overdue first
    assert f"/staff/appeals/{overdue.public_id}" in roads
    assert light.public_id in by_address["bsk-svet@services.achyk-shaar.kg"]
    assert light.public_id not in roads


def test_services_without_address_or_inactive_are_skipped(runner, make_appeal, outbox):
    due(make_appeal, (4, 1))
    due(make_appeal, (4, 1), category="street_light")
    roads = db.session.scalars(select(Service).where(Service.code == "bsk-roads")).one()
    svet = db.session.scalars(select(Service).where(Service.code == "bsk-svet")).one()
    roads.email, svet.active = None, False
    db.session.commit()
    result = runner.invoke(args=["remind", "--now", NOW])
    assert result.exit_code == 0 and outbox == []
    assert "Reminded 0 services" in result.output


def test_nothing_due_sends_nothing(runner, make_appeal, outbox):
    due(make_appeal, (6, 30))
    result = runner.invoke(args=["remind", "--now", NOW])
    assert result.exit_code == 0 and outbox == []


def test_dry_run_sends_nothing(runner, make_appeal, outbox):
    due(make_appeal, (4, 1))
    result = runner.invoke(args=["remind", "--now", NOW, "--dry-run"])
    assert result.exit_code == 0 and outbox == []
    assert "Would remind 1 services: 1 overdue" in result.output


def test_the_subject_counts_and_the_mail_is_in_russian(runner, make_appeal, outbox):
    due(make_appeal, (4, 1))
    due(make_appeal, (5, 11))
    runner.invoke(args=["remind", "--now", NOW])
    (to, subject, body), = outbox  # fmt: skip
    assert "1" in subject and "Бишкекасфальтсервис" in subject
    assert "Яма на дороге" in body  # category names in the default language


@pytest.mark.parametrize("bad", ["yesterday", "2026-04-30T09:00"])
def test_bad_now_is_a_clear_error(runner, bad):
    result = runner.invoke(args=["remind", "--now", bad])
    assert result.exit_code != 0 and "--now" in result.output
