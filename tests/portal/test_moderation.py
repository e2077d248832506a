"""Moderation use cases: publishing and rejecting appeals, held texts, auto-publish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from opendata.anonymize import scrub_text
from opendata.geomask import TIER_PRECISION_M, distance_m
from portal.extensions import db
from portal.models import (
    Answer,
    Appeal,
    AppealStatus,
    EventKind,
    HeldText,
    HoldCause,
    HoldDecision,
    RejectionReason,
    StatusEvent,
    utcnow,
)
from portal.services import staff_actions
from portal.services.core import Conflict, Forbidden, NotFound, ServiceError
from portal.services.moderation import (
    approve_text,
    auto_publish_if_clean,
    publish_appeal,
    reject_appeal,
    withhold_text,
)

PII_TEXT = (
    "Меня зовут Зарылбек Сентинелов, тел. +996 555 987 654, "
    "почта sentinel.person@example.kg, кв. 987. Во дворе яма."
)
CLEAN_TEXT = "Глубокая яма на дороге возле остановки, машины объезжают по встречке."


def events(appeal: Appeal) -> list[StatusEvent]:
    return list(
        db.session.scalars(
            select(StatusEvent).where(StatusEvent.appeal_id == appeal.id).order_by(StatusEvent.id)
        )
    )


@pytest.fixture
def moderator(make_staff):
    return make_staff(role="moderator")


def test_publish_scrubs_the_text_masks_the_point_and_keeps_the_original(make_appeal, moderator):
    appeal = make_appeal(status="submitted", text=PII_TEXT, lat=42.876543, lon=74.598765)
    published = publish_appeal(appeal.id, moderator)
    db.session.expire_all()
    appeal = db.session.get(Appeal, published.id)
    assert appeal.status is AppealStatus.PUBLISHED
    assert appeal.published_at is not None
    for secret in ("Сентинелов", "987 654", "sentinel.person", "кв. 987"):
        assert secret not in appeal.public_text
    assert "[ИМЯ]" in appeal.public_text and "[ТЕЛЕФОН]" in appeal.public_text
    assert appeal.private.raw_text == PII_TEXT  # kept for audit
    assert appeal.private.moderated_text is None
    assert appeal.location_precision_m == TIER_PRECISION_M["public"]
    assert (appeal.public_lat, appeal.public_lon) != (42.876543, 74.598765)
    assert distance_m(42.876543, 74.598765, appeal.public_lat, appeal.public_lon) <= 100
    kinds = [e.kind for e in events(appeal)]
    assert kinds[-1] is EventKind.PUBLISHED
    assert events(appeal)[-1].private_staff_id == moderator.id


def test_the_moderators_edit_is_published_and_kept_apart_from_the_raw_text(make_appeal, moderator):
    appeal = make_appeal(status="submitted", text=PII_TEXT)
    publish_appeal(appeal.id, moderator, public_text="  Во дворе яма.  ")
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.public_text == "Во дворе яма."
    assert appeal.private.moderated_text == "Во дворе яма."
    assert appeal.private.raw_text == PII_TEXT


def test_home_problems_are_generalised_and_sensitive_ones_get_no_point(make_appeal, moderator):
    home = make_appeal(status="submitted", category="no_heating", lat=42.8712, lon=74.6001)
    sensitive = make_appeal(status="submitted", category="social_help")
    publish_appeal(home.id, moderator)
    publish_appeal(sensitive.id, moderator)
    db.session.expire_all()
    home, sensitive = db.session.get(Appeal, home.id), db.session.get(Appeal, sensitive.id)
    assert home.location_precision_m == TIER_PRECISION_M["home"]
    assert distance_m(42.8712, 74.6001, home.public_lat, home.public_lon) <= 600
    assert sensitive.status is AppealStatus.PUBLISHED
    assert (sensitive.public_lat, sensitive.public_lon, sensitive.location_precision_m) == (
        None,
        None,
        None,
    )


def test_masking_is_the_same_for_the_same_point(make_appeal, moderator):
    first = make_appeal(status="submitted", lat=42.8801, lon=74.5902)
    second = make_appeal(status="submitted", lat=42.8801, lon=74.5902)
    publish_appeal(first.id, moderator)
    publish_appeal(second.id, moderator)
    db.session.expire_all()
    a, b = db.session.get(Appeal, first.id), db.session.get(Appeal, second.id)
    assert (a.public_lat, a.public_lon) == (b.public_lat, b.public_lon)


@pytest.mark.parametrize("status", ["published", "rejected", "answered", "closed"])
def test_only_submitted_appeals_can_be_moderated(make_appeal, moderator, status):
    appeal = make_appeal(status=status)
    with pytest.raises(Conflict):
        publish_appeal(appeal.id, moderator)
    with pytest.raises(Conflict):
        reject_appeal(appeal.id, moderator, "spam")


def test_publishing_twice_is_a_conflict(make_appeal, moderator):
    appeal = make_appeal(status="submitted")
    publish_appeal(appeal.id, moderator)
    with pytest.raises(Conflict):
        publish_appeal(appeal.id, moderator)
    assert [e.kind for e in events(appeal)].count(EventKind.PUBLISHED) == 1


def test_an_unknown_appeal_is_not_found(moderator):
    with pytest.raises(NotFound):
        publish_appeal(999_999, moderator)
    with pytest.raises(NotFound):
        reject_appeal(999_999, moderator, "spam")


def test_only_moderators_and_admins_moderate(make_appeal, make_staff):
    appeal = make_appeal(status="submitted")
    service_user = make_staff(role="service", service=appeal.service.code)
    for user in (None, service_user):
        with pytest.raises(Forbidden):
            publish_appeal(appeal.id, user)
        with pytest.raises(Forbidden):
            reject_appeal(appeal.id, user, "spam")
    inactive = make_staff(role="moderator")
    inactive.active = False
    db.session.commit()
    with pytest.raises(Forbidden):
        publish_appeal(appeal.id, inactive)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED
    publish_appeal(appeal.id, make_staff(role="admin"))


@pytest.mark.parametrize("reason", ["spam", "abuse", "not_municipal"])
def test_reject_with_a_reason(make_appeal, moderator, reason):
    appeal = make_appeal(status="submitted", text=PII_TEXT)
    reject_appeal(appeal.id, moderator, reason)
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.status is AppealStatus.REJECTED
    assert appeal.rejection_reason is RejectionReason(reason)
    assert appeal.public_text is None and appeal.public_lat is None
    last = events(appeal)[-1]
    assert last.kind is EventKind.REJECTED and last.public_note


def test_reject_as_a_duplicate_of_a_published_appeal(make_appeal, moderator):
    original = make_appeal(status="published")
    appeal = make_appeal(status="submitted")
    reject_appeal(appeal.id, moderator, "duplicate", original.public_id.lower())
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.duplicate_of_id == original.id
    assert original.public_id in events(appeal)[-1].public_note


def test_a_duplicate_needs_an_existing_published_original(make_appeal, moderator):
    appeal = make_appeal(status="submitted")
    hidden = make_appeal(status="submitted")
    for duplicate_of in (None, "BSK-2000-000001", hidden.public_id, appeal.public_id):
        with pytest.raises(ServiceError) as caught:
            reject_appeal(appeal.id, moderator, "duplicate", duplicate_of)
        assert "duplicate_of" in caught.value.errors
    with pytest.raises(ServiceError) as caught:
        reject_appeal(appeal.id, moderator, "boring")
    assert "reason" in caught.value.errors
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED
    assert [e.kind for e in events(appeal)] == [EventKind.SUBMITTED]


def test_auto_publish_is_off_by_default(app, make_appeal):
    appeal = make_appeal(status="submitted", text=CLEAN_TEXT)
    assert app.config["AUTO_PUBLISH"] is False
    assert auto_publish_if_clean(appeal) is False
    assert appeal.status is AppealStatus.SUBMITTED


def test_auto_publish_publishes_clean_appeals_only_and_does_not_commit(app, make_appeal):
    app.config["AUTO_PUBLISH"] = True
    clean = make_appeal(status="submitted", text=CLEAN_TEXT)
    risky = make_appeal(status="submitted", text=PII_TEXT)
    assert auto_publish_if_clean(risky) is False
    assert auto_publish_if_clean(clean) is True
    assert clean.status is AppealStatus.PUBLISHED and clean.public_text == CLEAN_TEXT
    db.session.rollback()  # the caller's transaction decides
    db.session.expire_all()
    assert db.session.get(Appeal, clean.id).status is AppealStatus.SUBMITTED
    auto_publish_if_clean(db.session.get(Appeal, clean.id))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Appeal, clean.id)
    assert stored.status is AppealStatus.PUBLISHED
    assert events(stored)[-1].kind is EventKind.PUBLISHED
    assert events(stored)[-1].private_staff_id is None


def held_answer(make_staff, appeal: Appeal, raw: str, doubts: set[str]) -> Answer:
    """A service answers ``raw``; the scrubber doubts ``raw`` itself, so the gate holds it."""
    doubts.add(raw)
    worker = make_staff(role="service", service=appeal.service.code)
    answer = staff_actions.answer(worker, appeal.public_id, text=raw)
    doubts.discard(raw)
    return answer


def hold_of(answer: Answer) -> HeldText:
    return db.session.scalars(select(HeldText).where(HeldText.answer_id == answer.id)).one()


def test_approving_a_held_answer_publishes_the_scrubbed_or_the_edited_text(
    make_appeal, make_staff, moderator, doubtful_scrubber
):
    raw = "Ответ подготовил инженер Айпери Модераторова, звоните 0555 123 456."
    scrubbed = held_answer(make_staff, make_appeal(), raw, doubtful_scrubber)
    edited = held_answer(make_staff, make_appeal(), raw, doubtful_scrubber)
    assert scrubbed.needs_moderation and scrubbed.public_text is None
    approve_text(hold_of(scrubbed).id, moderator)
    approve_text(hold_of(edited).id, moderator, public_text="Ответ подготовлен службой.")
    db.session.expire_all()
    scrubbed, edited = db.session.get(Answer, scrubbed.id), db.session.get(Answer, edited.id)
    assert "Модераторова" not in scrubbed.public_text and "[ИМЯ]" in scrubbed.public_text
    assert scrubbed.private_raw_text == raw and not scrubbed.needs_moderation
    assert edited.public_text == "Ответ подготовлен службой."
    hold = hold_of(edited)
    assert hold.decision is HoldDecision.PUBLISHED and hold.private_moderator_id == moderator.id
    assert hold.cause is HoldCause.RISK and hold.private_raw_text == raw
    with pytest.raises(Conflict):
        approve_text(hold.id, moderator)
    with pytest.raises(Conflict):
        withhold_text(hold.id, moderator)
    with pytest.raises(NotFound):
        approve_text(999_999, moderator)


def test_a_withheld_answer_is_never_published(
    make_appeal, make_staff, moderator, doubtful_scrubber
):
    answer = held_answer(
        make_staff, make_appeal(), "Звоните Айпери: 0555 123 456", doubtful_scrubber
    )
    withhold_text(hold_of(answer).id, moderator)
    db.session.expire_all()
    answer = db.session.get(Answer, answer.id)
    assert answer.public_text is None and answer.needs_moderation is False
    assert hold_of(answer).decision is HoldDecision.WITHHELD


def test_held_texts_need_a_moderator(make_appeal, make_staff, doubtful_scrubber):
    appeal = make_appeal()
    answer = held_answer(make_staff, appeal, "Звоните Айпери: 0555 123 456", doubtful_scrubber)
    service_user = make_staff(role="service", service=appeal.service.code)
    with pytest.raises(Forbidden):
        approve_text(hold_of(answer).id, service_user)
    with pytest.raises(Forbidden):
        withhold_text(hold_of(answer).id, service_user)
    db.session.expire_all()
    assert db.session.get(Answer, answer.id).needs_moderation is True


def test_without_a_scrubber_a_held_text_is_published_only_as_the_moderator_writes_it(
    make_appeal, make_staff, moderator, broken_scrubber
):
    appeal = make_appeal()
    worker = make_staff(role="service", service=appeal.service.code)
    answer = staff_actions.answer(worker, appeal.public_id, text="Звоните Айпери: 0555 123 456")
    hold = hold_of(answer)
    assert hold.cause is HoldCause.FAILURE and hold.private_scrubbed_text is None
    with pytest.raises(ServiceError) as caught:
        approve_text(hold.id, moderator)  # nothing to publish but the raw text: refused
    assert "public_text" in caught.value.errors
    approve_text(hold.id, moderator, public_text="Звоните в диспетчерскую.")
    db.session.expire_all()
    assert db.session.get(Answer, answer.id).public_text == "Звоните в диспетчерскую."


def test_without_a_scrubber_an_appeal_is_published_only_with_the_moderators_text(
    make_appeal, moderator, broken_scrubber
):
    appeal = make_appeal(status="submitted", text=PII_TEXT)
    with pytest.raises(ServiceError) as caught:
        publish_appeal(appeal.id, moderator)
    assert "public_text" in caught.value.errors
    db.session.expire_all()
    stored = db.session.get(Appeal, appeal.id)
    assert stored.status is AppealStatus.SUBMITTED and stored.public_text is None
    publish_appeal(appeal.id, moderator, public_text="Во дворе яма.")
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).public_text == "Во дворе яма."


@pytest.mark.parametrize("scrubber", ["doubtful_scrubber", "broken_scrubber"])
def test_auto_publish_waits_for_a_moderator_on_doubt_or_failure(
    app, make_appeal, request, scrubber
):
    app.config["AUTO_PUBLISH"] = True
    double = request.getfixturevalue(scrubber)
    if scrubber == "doubtful_scrubber":
        double.add("остановки")
    appeal = make_appeal(status="submitted", text=CLEAN_TEXT)
    assert auto_publish_if_clean(appeal) is False
    assert appeal.status is AppealStatus.SUBMITTED and appeal.public_text is None


def test_published_at_is_the_moderation_time(make_appeal, moderator):
    appeal = make_appeal(status="submitted", submitted_at=utcnow() - timedelta(days=3))
    before = utcnow()
    publish_appeal(appeal.id, moderator)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).published_at >= before - timedelta(seconds=1)


def test_two_moderators_at_once_publish_only_once(app, make_appeal, make_staff):
    """Concurrent decisions on one appeal: exactly one wins, the other gets a Conflict."""
    import threading

    appeal = make_appeal(status="submitted")
    moderators = [make_staff(role="moderator").id for _ in range(2)]
    appeal_id = appeal.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(staff_id: int, action: str) -> None:
        from portal.models import StaffUser

        with app.app_context():
            user = db.session.get(StaffUser, staff_id)
            db.session.commit()  # end the read before racing
            barrier.wait()
            try:
                if action == "publish":
                    publish_appeal(appeal_id, user)
                else:
                    reject_appeal(appeal_id, user, "spam")
                outcomes.append(action)
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=decide, args=(staff_id, action))
        for staff_id, action in zip(moderators, ("publish", "reject"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) in (["conflict", "publish"], ["conflict", "reject"])
    db.session.expire_all()
    kinds = [e.kind for e in events(db.session.get(Appeal, appeal_id))]
    assert kinds.count(EventKind.PUBLISHED) + kinds.count(EventKind.REJECTED) == 1


def test_publishing_the_unchanged_scrubbed_text_is_not_an_edit(make_appeal, moderator):
    appeal = make_appeal(status="submitted", text=PII_TEXT)
    form_text = scrub_text(PII_TEXT, "ru").replace("\n", "\r\n") + "\r\n"
    publish_appeal(appeal.id, moderator, public_text=form_text)
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.private.moderated_text is None
    assert appeal.public_text == scrub_text(PII_TEXT, "ru")


def test_a_too_long_edit_is_refused(make_appeal, moderator):
    appeal = make_appeal(status="submitted")
    with pytest.raises(ServiceError) as caught:
        publish_appeal(appeal.id, moderator, public_text="я" * 5001)
    assert "public_text" in caught.value.errors
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED
