"""The staff moderation pages: queue, side-by-side review, decisions, held texts, photos."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import Answer, Appeal, AppealStatus, HeldText, Photo, utcnow
from portal.services import staff_actions
from portal.services.publication import fixture_writes

PII_TEXT = "Меня зовут Зарылбек Сентинелов, тел. +996 555 987 654. Во дворе яма."


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def moderator(make_staff, login_as):
    user = make_staff(role="moderator")
    login_as(user)
    return user


def test_staff_pages_need_a_login(client, make_appeal):
    appeal = make_appeal(status="submitted")
    for url in ("/staff/moderation", f"/staff/moderation/{appeal.id}", "/staff/moderation/texts"):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["service", "admin"])
def test_only_moderators_and_admins_get_in(client, make_staff, login_as, make_appeal, role):
    appeal = make_appeal(status="submitted")
    user = make_staff(role=role, service=appeal.service.code if role == "service" else None)
    login_as(user)
    expected = 403 if role == "service" else 200
    assert client.get("/staff/moderation").status_code == expected
    assert client.get(f"/staff/moderation/{appeal.id}").status_code == expected
    assert client.get("/staff/moderation/texts").status_code == expected
    if role == "service":
        response = client.post(f"/staff/moderation/{appeal.id}", data={"action": "publish"})
        assert response.status_code == 403
        db.session.expire_all()
        assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED


def test_the_queue_is_oldest_first_and_paginated(client, moderator, make_appeal, app):
    now = utcnow()
    newest = make_appeal(status="submitted", submitted_at=now - timedelta(hours=1))
    oldest = make_appeal(status="submitted", submitted_at=now - timedelta(days=2))
    middle = make_appeal(status="submitted", submitted_at=now - timedelta(days=1))
    published = make_appeal(status="published")
    page = client.get("/staff/moderation").get_data(as_text=True)
    positions = [page.index(a.public_id) for a in (oldest, middle, newest)]
    assert positions == sorted(positions)
    assert published.public_id not in page
    for _ in range(30):
        make_appeal(status="submitted", submitted_at=now)
    first = client.get("/staff/moderation").get_data(as_text=True)
    second = client.get("/staff/moderation?page=2").get_data(as_text=True)
    assert oldest.public_id in first and oldest.public_id not in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    bad = client.get("/staff/moderation?page=zero")
    assert bad.status_code == 400


def test_the_queue_has_an_empty_state(client, moderator):
    page = client.get("/staff/moderation?lang=en").get_data(as_text=True)
    assert "Nothing waits for moderation." in page


def test_the_case_shows_raw_and_scrubbed_text_points_and_photos(client, moderator, make_appeal):
    appeal = make_appeal(status="submitted", text=PII_TEXT, lat=42.876543, lon=74.598765)
    with fixture_writes():
        photo = Photo(
            public_id="moderationphoto1", appeal_id=appeal.id, content_type="image/jpeg",
            width=8, height=6, data=jpeg_bytes(),
        )  # fmt: skip
    db.session.add(photo)
    db.session.commit()
    page = client.get(f"/staff/moderation/{appeal.id}").get_data(as_text=True)
    assert re.search(r'<mark class="pii pii-person"[^>]*>Зарылбек Сентинелов</mark>', page)
    assert re.search(r'<mark class="pii pii-phone"[^>]*>\+996 555 987 654</mark>', page)
    assert '<mark class="placeholder">[ИМЯ]</mark>' in page
    assert "42.876543, 74.598765" in page  # the exact point, for the moderator only
    assert 'class="masked-point"' in page
    assert "/staff/moderation/photos/moderationphoto1" in page
    image = client.get("/staff/moderation/photos/moderationphoto1")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert "no-store" in image.headers["Cache-Control"]
    assert client.get("/staff/moderation/photos/nosuchphoto").status_code == 404


def test_hostile_text_is_escaped_inside_and_outside_the_highlights(client, moderator, make_appeal):
    hostile = '<script>alert(1)</script> Звоните Зарылбеку <b>Сентинелову</b>: 0555 987 654 <img src=x onerror="x">'
    appeal = make_appeal(status="submitted", text=hostile)
    page = client.get(f"/staff/moderation/{appeal.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page and "<b>Сентинелову</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_sensitive_appeal_shows_that_no_point_is_published(client, moderator, make_appeal):
    appeal = make_appeal(status="submitted", category="social_help")
    page = client.get(f"/staff/moderation/{appeal.id}?lang=en").get_data(as_text=True)
    assert "published as counts only" in page


def test_publish_from_the_page_with_an_edit(client, moderator, make_appeal):
    appeal = make_appeal(status="submitted", text=PII_TEXT)
    response = client.post(
        f"/staff/moderation/{appeal.id}", data={"action": "publish", "public_text": "Яма во дворе."}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/staff/moderation"
    )
    db.session.expire_all()
    stored = db.session.get(Appeal, appeal.id)
    assert stored.status is AppealStatus.PUBLISHED and stored.public_text == "Яма во дворе."
    again = client.post(f"/staff/moderation/{appeal.id}?lang=en", data={"action": "publish"})
    # A conflict, like every refusal a form can show: the page again, with the message.
    assert again.status_code == 409
    assert "already been moderated" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).public_text == "Яма во дворе."


def test_reject_from_the_page_needs_a_reason_and_a_valid_original(client, moderator, make_appeal):
    appeal = make_appeal(status="submitted")
    no_reason = client.post(f"/staff/moderation/{appeal.id}?lang=en", data={"action": "reject"})
    assert no_reason.status_code == 400
    assert 'id="reason-error"' in no_reason.get_data(as_text=True)
    assert "Choose a reason." in no_reason.get_data(as_text=True)
    bad_number = client.post(
        f"/staff/moderation/{appeal.id}?lang=en",
        data={"action": "reject", "reason": "duplicate", "duplicate_of": "not a number"},
    )
    assert bad_number.status_code == 400
    assert "BSK-2026-000123" in bad_number.get_data(as_text=True)
    unknown = client.post(
        f"/staff/moderation/{appeal.id}",
        data={"action": "reject", "reason": "duplicate", "duplicate_of": "BSK-2001-000001"},
    )
    assert unknown.status_code == 400 and 'id="duplicate_of-error"' in unknown.get_data(
        as_text=True
    )
    russian = client.post(f"/staff/moderation/{appeal.id}?lang=ru", data={"action": "nonsense"})
    assert russian.status_code == 400
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED
    done = client.post(
        f"/staff/moderation/{appeal.id}", data={"action": "reject", "reason": "spam"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.REJECTED


def test_forged_ids_are_not_found(client, moderator):
    assert client.get("/staff/moderation/987654").status_code == 404
    assert client.post("/staff/moderation/987654", data={"action": "publish"}).status_code == 404
    assert client.get("/staff/moderation/texts/987654").status_code == 404
    assert (
        client.post("/staff/moderation/texts/987654", data={"action": "publish"}).status_code == 404
    )


def test_decisions_need_the_csrf_token(make_app, make_appeal, make_staff):
    appeal = make_appeal(status="submitted")
    user = make_staff(role="moderator")
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    with app.app_context():
        page = client.get(f"/staff/moderation/{appeal.id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert (
            client.post(f"/staff/moderation/{appeal.id}", data={"action": "publish"}).status_code
            == 400
        )
        assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED
        ok = client.post(
            f"/staff/moderation/{appeal.id}", data={"action": "publish", "csrf_token": token}
        )
        assert ok.status_code == 302
        db.session.expire_all()
        assert db.session.get(Appeal, appeal.id).status is AppealStatus.PUBLISHED


def held_answer(make_staff, appeal: Appeal, raw: str, doubts: set[str]) -> Answer:
    doubts.add("0555 123 456")
    worker = make_staff(role="service", service=appeal.service.code)
    answer = staff_actions.answer(worker, appeal.public_id, text=raw)
    doubts.clear()
    return answer


def test_held_answers_are_listed_highlighted_and_approved(
    client, moderator, make_appeal, make_staff, doubtful_scrubber
):
    appeal = make_appeal()
    raw = "Ответ подготовил инженер Айпери Модераторова, звоните 0555 123 456."
    answer = held_answer(make_staff, appeal, raw, doubtful_scrubber)
    hold = db.session.scalars(select(HeldText)).one()
    listing = client.get("/staff/moderation/texts?lang=en").get_data(as_text=True)
    assert f"/staff/moderation/texts/{hold.id}" in listing and "Service&#39;s answer" in listing
    assert "1 text" in client.get("/staff/moderation?lang=en").get_data(as_text=True)
    doubtful_scrubber.add("0555 123 456")  # the scrubber still doubts it when the page opens
    detail = client.get(f"/staff/moderation/texts/{hold.id}").get_data(as_text=True)
    assert re.search(r'<mark class="pii pii-person"[^>]*>Айпери Модераторова</mark>', detail)
    assert re.search(r'<mark class="risk"[^>]*>0555 123 456</mark>', detail)
    public = client.get(f"/appeals/{appeal.public_id}?lang=en").get_data(as_text=True)
    assert "Модераторова" not in public and "0555 123" not in public
    assert "a moderator is checking its text" in public and "No answer yet" not in public
    response = client.post(
        f"/staff/moderation/texts/{hold.id}", data={"action": "publish", "public_text": ""}
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Answer, answer.id)
    assert not stored.needs_moderation and "[ИМЯ]" in stored.public_text
    public = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "[ИМЯ]" in public and "Модераторова" not in public
    assert "No text waits" in client.get("/staff/moderation/texts?lang=en").get_data(as_text=True)
    again = client.post(f"/staff/moderation/texts/{hold.id}", data={"action": "withhold"})
    assert again.status_code == 409  # already decided: said on the page, nothing changes
    assert db.session.get(Answer, answer.id).public_text == stored.public_text


def test_a_held_reason_is_withheld_from_the_page(
    client, moderator, make_appeal, make_staff, doubtful_scrubber
):
    appeal = make_appeal()
    worker = make_staff(role="service", service=appeal.service.code)
    doubtful_scrubber.add("Айпери")
    staff_actions.extend_deadline(worker, appeal.public_id, days=3, reason="Ждём Айпери с ключами")
    hold = db.session.scalars(select(HeldText)).one()
    bad = client.post(f"/staff/moderation/texts/{hold.id}?lang=en", data={"action": "maybe"})
    assert bad.status_code == 400 and "Choose an action." in bad.get_data(as_text=True)
    too_long = client.post(
        f"/staff/moderation/texts/{hold.id}", data={"action": "publish", "public_text": "я" * 5001}
    )
    assert too_long.status_code == 400
    client.post(f"/staff/moderation/texts/{hold.id}", data={"action": "withhold"})
    db.session.expire_all()
    stored = db.session.get(Appeal, appeal.id)
    assert stored.deadline_extended and stored.extension_reason is None
    assert "Айпери" not in client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)


def test_without_a_scrubber_the_moderator_writes_the_text(
    client, moderator, make_appeal, broken_scrubber
):
    appeal = make_appeal(status="submitted", text=PII_TEXT)
    page = client.get(f"/staff/moderation/{appeal.id}?lang=en").get_data(as_text=True)
    assert "The scrubber could not process this text" in page
    textarea = re.search(r'<textarea id="public_text"[^>]*>([^<]*)</textarea>', page).group(1)
    assert textarea == ""  # never prefilled with the raw text
    refused = client.post(f"/staff/moderation/{appeal.id}?lang=en", data={"action": "publish"})
    assert refused.status_code == 400 and "Write the public text yourself" in refused.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.SUBMITTED


def test_the_privacy_page_states_the_policy(client):
    from opendata.geomask import TIER_PRECISION_M

    page = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "How we protect privacy" in page
    for metres in TIER_PRECISION_M.values():
        assert f"about {metres} m" in page
    assert "[ИМЯ]" in page and "EXIF" in page
    assert client.get("/privacy?lang=ru").status_code == 200
    assert client.get("/privacy?lang=ky").status_code == 200
    assert "/privacy" in client.get("/").get_data(as_text=True)  # linked from every page


def submitted(text: str = PII_TEXT):
    from portal.schemas.appeal import AppealSubmissionSchema
    from portal.services.submission import submit_appeal

    data = AppealSubmissionSchema().load(
        {"city": "bishkek", "category": "garbage", "description": text,
         "lat": "42.8746", "lon": "74.6122", "consent": "y"}
    )  # fmt: skip
    return submit_appeal(data)


def test_the_citizen_sees_the_rejection_and_its_reason(client, moderator, make_appeal):
    original = make_appeal(status="published")
    result = submitted()
    client.post(
        f"/staff/moderation/{result.appeal.id}",
        data={"action": "reject", "reason": "duplicate", "duplicate_of": original.public_id},
    )
    page = client.get(f"/t/{result.tracking_token}").get_data(as_text=True)
    assert "Дубликат другого обращения" in page and original.public_id in page
    assert client.get(f"/appeals/{result.appeal.public_id}").status_code == 404


def test_the_citizen_sees_the_publication(client, moderator):
    result = submitted()
    client.post(f"/staff/moderation/{result.appeal.id}", data={"action": "publish"})
    page = client.get(f"/t/{result.tracking_token}?lang=en").get_data(as_text=True)
    assert "Published after moderation" in page
    public = client.get(f"/appeals/{result.appeal.public_id}").get_data(as_text=True)
    assert "[ИМЯ]" in public and "Сентинелов" not in public


def test_auto_publish_through_the_citizen_form(make_app, make_staff):
    app = make_app(AUTO_PUBLISH=True)
    with app.app_context():
        clean = submitted("Во дворе третью неделю не вывозят мусор, контейнеры переполнены.")
        risky = submitted()
        assert clean.appeal.status is AppealStatus.PUBLISHED
        assert risky.appeal.status is AppealStatus.SUBMITTED
        db.session.expire_all()
        assert db.session.get(Appeal, clean.appeal.id).status is AppealStatus.PUBLISHED
