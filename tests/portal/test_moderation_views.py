"""The staff moderation pages: queue, side-by-side review, decisions, answers, photos."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from portal.extensions import db
from portal.models import Answer, Appeal, AppealStatus, Photo, utcnow

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
    for url in ("/staff/moderation", f"/staff/moderation/{appeal.id}", "/staff/moderation/answers"):
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
    assert client.get("/staff/moderation/answers").status_code == expected
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
    assert again.status_code == 302  # conflict: told in a flash message, nothing changes
    assert "already been moderated" in client.get("/staff/moderation?lang=en").get_data(
        as_text=True
    )


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
    assert client.get("/staff/moderation/answers/987654").status_code == 404


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


def test_flagged_answers_are_listed_and_approved(client, moderator, make_appeal):
    appeal = make_appeal()
    raw = "Ответ подготовил инженер Айпери Модераторова, звоните 0555 123 456."
    answer = Answer(
        appeal_id=appeal.id, service_id=appeal.service_id, round=1, created_at=utcnow(),
        public_text=None, private_raw_text=raw, needs_moderation=True,
    )  # fmt: skip
    db.session.add(answer)
    db.session.commit()
    listing = client.get("/staff/moderation/answers").get_data(as_text=True)
    assert f"/staff/moderation/answers/{answer.id}" in listing
    assert "1 answer" in client.get("/staff/moderation?lang=en").get_data(as_text=True)
    detail = client.get(f"/staff/moderation/answers/{answer.id}").get_data(as_text=True)
    assert re.search(r'<mark class="pii pii-person"[^>]*>Айпери Модераторова</mark>', detail)
    assert (
        client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True).count("Модераторова") == 0
    )
    response = client.post(f"/staff/moderation/answers/{answer.id}", data={"public_text": ""})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Answer, answer.id)
    assert not stored.needs_moderation and "[ИМЯ]" in stored.public_text
    public = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "[ИМЯ]" in public and "Модераторова" not in public
    assert "No answer waits" in client.get("/staff/moderation/answers?lang=en").get_data(
        as_text=True
    )


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
    return submit_appeal(data, language="ru")


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
