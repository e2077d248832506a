"""A service's actions on an appeal: each status transition, its figures and public event,
and the deadline arithmetic across Kyrgyz public holidays."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AccessToken,
    Answer,
    Appeal,
    AppealStatus,
    EventKind,
    Photo,
    Resolution,
    Service,
    StatusEvent,
    TokenPurpose,
)
from portal.services import staff_actions
from portal.services.core import Conflict, ServiceError
from portal.workdays import BISHKEK

CLEAN_ANSWER = "Яма заделана бригадой сегодня утром."


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BISHKEK)


def events(appeal: Appeal) -> list[StatusEvent]:
    return list(
        db.session.scalars(
            select(StatusEvent).where(StatusEvent.appeal_id == appeal.id).order_by(StatusEvent.id)
        )
    )


def fresh(appeal: Appeal) -> Appeal:
    db.session.expire_all()
    return db.session.get(Appeal, appeal.id)


@pytest.fixture
def appeal(make_appeal):
    return make_appeal(category="pothole")  # bsk-roads


@pytest.fixture
def owner(make_staff):
    return make_staff(role="service", service="bsk-roads")


# --- Acknowledge ---------------------------------------------------------------------------


def test_acknowledge_is_a_public_event_naming_the_service_never_the_person(client, appeal, owner):
    staff_actions.acknowledge(owner, appeal.public_id)
    appeal = fresh(appeal)
    assert appeal.status is AppealStatus.ACKNOWLEDGED and appeal.acknowledged_at is not None
    last = events(appeal)[-1]
    assert last.kind is EventKind.ACKNOWLEDGED
    assert last.service_id == appeal.service_id and last.private_staff_id == owner.id
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert "Acknowledged by the service" in page
    assert "Bishkek Asphalt Service" in page
    assert owner.private_name not in page and owner.email not in page


def test_acknowledging_twice_is_a_conflict_and_changes_nothing(client, login_as, appeal, owner):
    staff_actions.acknowledge(owner, appeal.public_id)
    count = len(events(appeal))
    login_as(owner)
    response = client.post(f"/staff/appeals/{appeal.public_id}/acknowledge")
    assert response.status_code == 409
    assert len(events(appeal)) == count


# --- Answer ----------------------------------------------------------------------------------


def test_answer_sets_the_figures_counted_in_working_days_across_new_year(make_appeal, owner):
    # Tuesday 30 December 2025; 1–7 January 2026 are public holidays.
    appeal = make_appeal(submitted_at=local(2025, 12, 30, 10, 0).astimezone(UTC))
    at = local(2026, 1, 9, 15, 0)  # Friday: working days after 30.12 are 31.12, 8.01, 9.01
    answer = staff_actions.answer(
        owner, appeal.public_id, text=CLEAN_ANSWER, internal_note="Бригада №3", now=at
    )
    appeal = fresh(appeal)
    assert appeal.status is AppealStatus.ANSWERED
    assert appeal.first_answer_at == at and appeal.last_answer_at == at
    assert appeal.first_answer_workdays == 3
    assert appeal.answered_on_time is True
    assert answer.round == 1 and answer.service_id == appeal.service_id
    assert answer.private_staff_id == owner.id
    assert answer.private_internal_note == "Бригада №3"
    assert answer.public_text == CLEAN_ANSWER and answer.needs_moderation is False
    assert events(appeal)[-1].kind is EventKind.ANSWERED


def test_an_answer_after_the_deadline_is_not_on_time(make_appeal, owner):
    on_time = make_appeal(submitted_at=local(2026, 2, 2, 9, 0).astimezone(UTC))
    # The last second of the due day (23:59:59 local) still counts.
    staff_actions.answer(owner, on_time.public_id, text=CLEAN_ANSWER, now=on_time.due_at)
    assert fresh(on_time).answered_on_time is True
    late = make_appeal(submitted_at=local(2026, 2, 2, 9, 0).astimezone(UTC))
    staff_actions.answer(
        owner, late.public_id, text=CLEAN_ANSWER, now=late.due_at + timedelta(seconds=1)
    )
    assert fresh(late).answered_on_time is False


def test_the_public_page_shows_the_answer_but_never_the_note_or_the_person(client, appeal, owner):
    staff_actions.answer(
        owner, appeal.public_id, text=CLEAN_ANSWER, internal_note="ВНУТРЕННЕЕ-секрет"
    )
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert CLEAN_ANSWER in page
    assert "ВНУТРЕННЕЕ-секрет" not in page
    assert owner.private_name not in page


PHONE_ANSWER = "Позвоните мастеру по телефону +996 555 123 456, он всё объяснит."


def test_personal_data_the_scrubber_replaces_is_published_scrubbed(
    client, appeal, owner, sure_scrubber
):
    answer = staff_actions.answer(owner, appeal.public_id, text=PHONE_ANSWER)
    assert answer.needs_moderation is False and "[ТЕЛЕФОН]" in answer.public_text
    assert answer.private_raw_text == PHONE_ANSWER
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "[ТЕЛЕФОН]" in page and "555 123" not in page and "123 456" not in page


def test_an_answer_with_residual_risk_waits_for_moderation(
    client, appeal, owner, doubtful_scrubber
):
    doubtful_scrubber.add("мастеру")
    answer = staff_actions.answer(owner, appeal.public_id, text=PHONE_ANSWER)
    assert answer.needs_moderation is True and answer.public_text is None
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert "555 123" not in page and "мастеру" not in page
    assert "a moderator is checking its text" in page


def test_a_broken_scrubber_means_moderation(appeal, owner, broken_scrubber):
    answer = staff_actions.answer(owner, appeal.public_id, text=CLEAN_ANSWER)
    assert answer.needs_moderation is True and answer.public_text is None
    assert broken_scrubber == [CLEAN_ANSWER]


def test_an_answer_offers_the_citizen_a_rating_link_by_mail(monkeypatch, make_appeal, owner):
    sent = []
    monkeypatch.setattr("portal.mail.send_mail", lambda to, subject, body: sent.append((to, body)))
    appeal = make_appeal(contact={"email": "citizen@example.kg"})
    answer = staff_actions.answer(owner, appeal.public_id, text=CLEAN_ANSWER)
    token = db.session.scalars(select(AccessToken).where(AccessToken.answer_id == answer.id)).one()
    assert token.purpose is TokenPurpose.RATE
    assert [to for to, _ in sent] == ["citizen@example.kg"]
    assert "/t/" in sent[0][1]


def test_a_photo_of_the_result_is_re_encoded_without_metadata(client, login_as, appeal, owner):
    source = Image.new("RGB", (64, 48), (10, 120, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    raw = io.BytesIO()
    source.save(raw, "JPEG", exif=exif.tobytes())
    login_as(owner)
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/answer",
        data={
            "text": CLEAN_ANSWER,
            "photo": (io.BytesIO(raw.getvalue()), "done.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    photo = db.session.scalars(select(Photo)).one()
    answer = db.session.scalars(select(Answer)).one()
    assert photo.answer_id == answer.id and photo.appeal_id == appeal.id
    assert b"SecretCamera" not in photo.data
    assert not Image.open(io.BytesIO(photo.data)).getexif()


def test_a_broken_photo_is_refused_and_nothing_is_stored(client, login_as, appeal, owner):
    login_as(owner)
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/answer?lang=en",
        data={"text": CLEAN_ANSWER, "photo": (io.BytesIO(b"not an image"), "x.jpg", "image/jpeg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "JPEG, PNG and WebP" in response.get_data(as_text=True)
    assert db.session.scalars(select(Answer)).first() is None
    assert fresh(appeal).status is AppealStatus.PUBLISHED


def test_an_empty_answer_gets_a_field_error(client, login_as, appeal, owner):
    login_as(owner)
    response = client.post(f"/staff/appeals/{appeal.public_id}/answer?lang=en", data={"text": " "})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    assert fresh(appeal).status is AppealStatus.PUBLISHED


def test_an_answered_appeal_cannot_be_answered_again_until_reopened(appeal, owner):
    staff_actions.answer(owner, appeal.public_id, text=CLEAN_ANSWER)
    with pytest.raises(Conflict):
        staff_actions.answer(owner, appeal.public_id, text=CLEAN_ANSWER)
    reopened = fresh(appeal)
    first = reopened.first_answer_at
    reopened.status, reopened.reopen_count = AppealStatus.REOPENED, 1
    db.session.commit()
    second = staff_actions.answer(owner, appeal.public_id, text="Повторно выехали и доделали.")
    assert second.round == 2
    assert fresh(appeal).first_answer_at == first  # the first round's figures stay


# --- Status ----------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["published", "acknowledged", "reopened"])
def test_in_progress_from_each_open_state(make_appeal, owner, start):
    appeal = make_appeal()
    appeal.status = AppealStatus(start)
    db.session.commit()
    staff_actions.set_status(owner, appeal.public_id, status="in_progress")
    assert fresh(appeal).status is AppealStatus.IN_PROGRESS
    assert events(appeal)[-1].kind is EventKind.IN_PROGRESS


@pytest.mark.parametrize("start", ["in_progress", "answered", "closed"])
def test_in_progress_is_refused_from_other_states(make_appeal, owner, start):
    appeal = make_appeal()
    appeal.status = AppealStatus(start)
    db.session.commit()
    with pytest.raises(Conflict):
        staff_actions.set_status(owner, appeal.public_id, status="in_progress")


@pytest.mark.parametrize(
    ("status", "resolution"),
    [("solved", Resolution.SOLVED), ("not_responsible", Resolution.NOT_RESPONSIBLE)],
)
@pytest.mark.parametrize("start", ["published", "acknowledged", "in_progress", "answered"])
def test_closing(make_appeal, owner, status, resolution, start):
    appeal = make_appeal()
    appeal.status = AppealStatus(start)
    db.session.commit()
    staff_actions.set_status(owner, appeal.public_id, status=status)
    appeal = fresh(appeal)
    assert appeal.status is AppealStatus.CLOSED and appeal.resolution is resolution
    assert appeal.closed_at is not None
    assert events(appeal)[-1].kind is EventKind.CLOSED


def test_duplicate_of_another_published_appeal(client, make_appeal, owner):
    original = make_appeal(category="street_light")  # any service, same city
    appeal = make_appeal()
    staff_actions.set_status(
        owner, appeal.public_id, status="duplicate", duplicate_of=original.public_id
    )
    appeal = fresh(appeal)
    assert appeal.resolution is Resolution.DUPLICATE and appeal.duplicate_of_id == original.id
    assert events(appeal)[-1].public_note == original.public_id
    assert original.public_id in client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)


def test_duplicate_target_must_be_another_existing_appeal_of_the_city(make_appeal, owner):
    appeal = make_appeal()
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    osh = make_appeal(city="osh", lat=40.53, lon=72.80)
    for target in (None, "BSK-2026-999999", appeal.public_id, waiting.public_id, osh.public_id):
        with pytest.raises(ServiceError) as refused:
            staff_actions.set_status(
                owner, appeal.public_id, status="duplicate", duplicate_of=target
            )
        assert "duplicate_of" in refused.value.errors
    assert fresh(appeal).status is AppealStatus.PUBLISHED


def test_duplicate_without_a_number_is_a_field_error_in_the_form(client, login_as, appeal, owner):
    login_as(owner)
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/status?lang=en", data={"status": "duplicate"}
    )
    assert response.status_code == 400
    assert "Give the number of the appeal this one duplicates." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("use_case", "kwargs"),
    [
        (staff_actions.acknowledge, {}),
        (staff_actions.answer, {"text": CLEAN_ANSWER}),
        (staff_actions.set_status, {"status": "solved"}),
        (staff_actions.set_status, {"status": "in_progress"}),
        (staff_actions.reroute, {"service_code": "bsk-svet", "reason": "Это освещение"}),
        (staff_actions.extend_deadline, {"days": 3, "reason": "Нужна экспертиза"}),
    ],
)
def test_a_closed_appeal_takes_no_more_actions(appeal, owner, use_case, kwargs):
    staff_actions.set_status(owner, appeal.public_id, status="solved")
    count = len(events(appeal))
    with pytest.raises(Conflict):
        use_case(owner, appeal.public_id, **kwargs)
    assert len(events(appeal)) == count


# --- Reroute ---------------------------------------------------------------------------------


def test_reroute_keeps_the_deadline_and_logs_both_services(client, appeal, owner):
    staff_actions.acknowledge(owner, appeal.public_id)
    due = fresh(appeal).due_at
    staff_actions.reroute(owner, appeal.public_id, service_code="bsk-svet", reason="Это освещение")
    appeal = fresh(appeal)
    svet = db.session.scalars(select(Service).where(Service.code == "bsk-svet")).one()
    assert appeal.service_id == svet.id and appeal.reroute_count == 1
    assert appeal.due_at == due
    assert appeal.status is AppealStatus.PUBLISHED  # the new service has not acknowledged it
    last = events(appeal)[-1]
    assert last.kind is EventKind.REROUTED
    assert last.service_id == owner.service_id and last.to_service_id == svet.id
    assert last.public_note == "Это освещение"
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert "Passed to another service" in page and "Это освещение" in page


def test_reroute_only_to_an_active_service_of_the_same_city(appeal, owner):
    svet = db.session.scalars(select(Service).where(Service.code == "bsk-svet")).one()
    svet.active = False
    db.session.commit()
    for code in ("bsk-svet", "osh-roads", "bsk-roads", "no-such-service"):
        with pytest.raises(ServiceError) as refused:
            staff_actions.reroute(owner, appeal.public_id, service_code=code, reason="Не наше")
        assert "service" in refused.value.errors
    assert fresh(appeal).reroute_count == 0


def test_reroute_needs_a_reason(client, login_as, appeal, owner):
    login_as(owner)
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/reroute?lang=en", data={"service": "bsk-svet"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    assert fresh(appeal).service.code == "bsk-roads"


def test_reroute_form_asks_for_the_service_and_refuses_none(client, login_as, appeal, owner):
    login_as(owner)
    page = client.get(f"/staff/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    select = page[page.index('<select id="reroute-service"') :]
    select = select[: select.index("</select>")]
    assert " required" in select.split(">")[0] and " selected" not in select
    assert '<option value="">Choose a service…</option>' in select
    response = client.post(
        f"/staff/appeals/{appeal.public_id}/reroute?lang=en",
        data={"service": "", "reason": "Не наше"},
    )
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert fresh(appeal).service.code == "bsk-roads"


# --- Deadline extension ----------------------------------------------------------------------


def test_extension_counts_working_days_across_the_may_holidays(make_appeal, owner):
    appeal = make_appeal(submitted_at=local(2026, 4, 10, 9, 0).astimezone(UTC))
    appeal.due_at = local(2026, 4, 29, 23, 59, 59)  # Wednesday
    db.session.commit()
    # 30 April (Thu) is a working day; 1–9 May are holidays and weekends; then 11, 12 May.
    staff_actions.extend_deadline(
        owner, appeal.public_id, days=3, reason="Нужна экспертиза", now=local(2026, 4, 20, 12)
    )
    appeal = fresh(appeal)
    assert appeal.due_at == local(2026, 5, 12, 23, 59, 59)
    assert appeal.deadline_extended is True and appeal.extension_reason == "Нужна экспертиза"
    last = events(appeal)[-1]
    assert last.kind is EventKind.DEADLINE_EXTENDED and last.public_note == "Нужна экспертиза"


def test_the_original_deadline_skips_holidays_too(make_appeal):
    # Submitted on Friday 1 May 2026: May holidays until the 10th; pothole: 14 working days.
    appeal = make_appeal(submitted_at=local(2026, 5, 1, 12, 0).astimezone(UTC))
    # 11–15, 18–22 May (10 days), 25, 26 (12), 27 is Eid al-Adha, 28, 29 (14).
    if appeal.category.deadline_days in (None, 14):
        assert appeal.due_at.astimezone(BISHKEK).date().isoformat() == "2026-05-29"


def test_the_deadline_is_extended_only_once(appeal, owner):
    staff_actions.extend_deadline(owner, appeal.public_id, days=5, reason="Нужна экспертиза")
    due = fresh(appeal).due_at
    with pytest.raises(Conflict):
        staff_actions.extend_deadline(owner, appeal.public_id, days=5, reason="Ещё раз")
    assert fresh(appeal).due_at == due


def test_an_overdue_deadline_cannot_be_extended(make_appeal, owner):
    appeal = make_appeal(submitted_at=local(2026, 1, 12, 9, 0).astimezone(UTC))
    with pytest.raises(Conflict):
        staff_actions.extend_deadline(
            owner, appeal.public_id, days=5, reason="Поздно", now=local(2026, 3, 1, 9)
        )
    assert fresh(appeal).deadline_extended is False


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"days": "0", "reason": "Нужна экспертиза"}, "Between 1 and 30 working days."),
        ({"days": "31", "reason": "Нужна экспертиза"}, "Between 1 and 30 working days."),
        ({"days": "abc", "reason": "Нужна экспертиза"}, "Enter a whole number."),
        ({"days": "5"}, "This field is required."),
    ],
)
def test_extension_input_is_validated(client, login_as, appeal, owner, form, field):
    login_as(owner)
    response = client.post(f"/staff/appeals/{appeal.public_id}/extend?lang=en", data=form)
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)
    assert fresh(appeal).deadline_extended is False


def test_the_public_page_shows_the_extension_reason(client, appeal, owner):
    staff_actions.extend_deadline(owner, appeal.public_id, days=5, reason="Нужна экспертиза")
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "Нужна экспертиза" in page


def test_two_simultaneous_answers_make_one_answer(app, appeal, owner):
    """Double-clicks and two colleagues at once: one answer, the other gets a conflict."""
    import threading

    from sqlalchemy import func

    barrier = threading.Barrier(2)
    statuses: list[int] = []

    clients = []
    for _ in range(2):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = owner.get_id()
        clients.append(client)

    url = f"/staff/appeals/{appeal.public_id}/answer"

    def post(client, text: str) -> None:
        barrier.wait()
        statuses.append(client.post(url, data={"text": text}).status_code)

    threads = [
        threading.Thread(target=post, args=(client, f"Ответ номер {n}: яма заделана."))
        for n, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [302, 409]
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).where(Answer.appeal_id == appeal.id))
    assert count == 1
