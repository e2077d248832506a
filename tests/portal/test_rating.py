"""Following an appeal through /t/<token>, rating the answer, reopening; token misuse."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessToken,
    Answer,
    Appeal,
    AppealStatus,
    EventKind,
    HeldText,
    HoldCause,
    Rating,
    Resolution,
    StatusEvent,
    TextChannel,
    TokenPurpose,
    utcnow,
)
from portal.queries.appeals import public_timeline
from portal.services.rating import offer_rating, rate_answer, reopen_appeal
from portal.services.tokens import issue_token
from tests.portal.test_submission import form

#: Messages below are the English msgids.
pytestmark = pytest.mark.language("en")

GOOD = {"score": "5", "solved": "yes"}
BAD = {"score": "2", "solved": "no", "reason": "not_resolved", "comment": "Ничего не сделано."}


@pytest.fixture
def submitted(client):
    """An appeal submitted through the form (with an e-mail): (appeal, tracking token)."""
    response = client.post("/appeals/new", data=form())
    token = urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1]
    return db.session.scalars(select(Appeal)).one(), token


@pytest.fixture
def answer_as_service(make_staff):
    """Answer an appeal through the staff use case (which offers the rating link)."""

    def answer(appeal: Appeal, text: str = "Яма заделана бригадой 12 ноября.", at=None):
        from portal.services.staff_actions import answer as answer_appeal

        appeal.status = AppealStatus.PUBLISHED
        appeal.published_at = appeal.published_at or utcnow()
        db.session.commit()
        staff = make_staff(role="service", service=appeal.service.code)
        reply = answer_appeal(staff, appeal.public_id, text=text, now=at)
        rate_tokens = db.session.scalars(
            select(AccessToken).where(
                AccessToken.answer_id == reply.id, AccessToken.purpose == TokenPurpose.RATE
            )
        ).all()
        assert len(rate_tokens) == 1  # the staff use case offered the rating
        return reply

    return answer


def snapshot(appeal_id: int) -> tuple:
    """Everything a rating or reopen could change."""
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal_id)
    return (
        appeal.status,
        appeal.due_at,
        appeal.reopen_count,
        appeal.last_score,
        appeal.closed_at,
        db.session.scalar(select(func.count()).select_from(Rating)),
        db.session.scalar(select(func.count()).select_from(StatusEvent)),
        tuple(db.session.scalars(select(AccessToken.used_at).order_by(AccessToken.id))),
    )


# --- Tracking page ---------------------------------------------------------------------------


def test_tracking_page_shows_status_timeline_deadline_and_answers(
    client, submitted, answer_as_service
):
    appeal, token = submitted
    page = client.get(f"/t/{token}").get_data(as_text=True)
    assert appeal.public_id in page
    assert "In moderation" in page and "Appeal submitted" in page
    assert "No answer yet." in page
    assert "Rate the answer" not in page
    answer_as_service(appeal, text="Яма заделана бригадой 12 ноября.")
    response = client.get(f"/t/{token}")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Яма заделана бригадой 12 ноября." in page
    assert "The service answered" in page and "Answered" in page
    assert 'id="due"' in page
    assert "Rate the answer" in page
    for score_label in ("Extremely unsatisfactory", "Excellent"):
        assert score_label in page


def test_only_a_hash_of_the_token_is_stored(submitted):
    appeal, token = submitted
    stored = db.session.scalars(select(AccessToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(stored.token_hash)
    assert len(token) >= 43  # 32 random bytes, base64


@pytest.mark.parametrize(
    "token", ["nope", "x" * 43, "x" * 500, "%00"], ids=["short", "guess", "long", "nul"]
)
def test_a_wrong_token_gets_a_clear_page_and_changes_nothing(client, submitted, token):
    appeal, _ = submitted
    before = snapshot(appeal.id)
    response = client.get(f"/t/{token}")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    assert client.post(f"/t/{token}/rate", data=GOOD).status_code == 404
    assert client.post(f"/t/{token}/reopen").status_code == 404
    assert snapshot(appeal.id) == before


# --- Rating ----------------------------------------------------------------------------------


def test_rating_link_from_the_email_rates_once_and_closes_a_satisfied_appeal(
    client, submitted, answer_as_service, caplog
):
    caplog.set_level("INFO")
    appeal, _ = submitted
    answer = answer_as_service(appeal)
    mails = [r.getMessage() for r in caplog.records if "rate the answer" in r.getMessage()]
    assert len(mails) == 1 and "aigul@example.kg" in mails[0]
    rate_token = re.search(r"/t/([A-Za-z0-9_-]{43,})", mails[0]).group(1)

    response = client.post(
        f"/t/{rate_token}/rate", data={**GOOD, "comment": "Спасибо, позвоните 0555 123 456"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    rating = db.session.scalars(select(Rating)).one()
    assert (rating.score, rating.solved.value, rating.answer_id) == (5, "yes", answer.id)
    assert rating.private_comment == "Спасибо, позвоните 0555 123 456"
    assert rating.public_comment is None or "123 456" not in rating.public_comment
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.status is AppealStatus.CLOSED and appeal.resolution is Resolution.RATED
    assert appeal.last_score == 5 and appeal.closed_at is not None
    kinds = [e.kind for e in appeal.events]
    assert kinds[-2:] == [EventKind.RATED, EventKind.CLOSED]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your rating" in page

    # The single-use link cannot rate again: refused politely, nothing changes.
    before = snapshot(appeal.id)
    again = client.post(f"/t/{rate_token}/rate", data={"score": "1", "solved": "no"})
    assert again.status_code == 409
    assert "already" in again.get_data(as_text=True)
    assert snapshot(appeal.id) == before
    used = client.get(f"/t/{rate_token}")
    assert used.status_code == 409 and "already been used" in used.get_data(as_text=True)


def test_tracking_link_rates_the_latest_answer_once(client, submitted, answer_as_service):
    appeal, token = submitted
    answer_as_service(appeal)
    assert (
        client.post(f"/t/{token}/rate", data={"score": "4", "solved": "partly"}).status_code == 302
    )
    before = snapshot(appeal.id)
    again = client.post(f"/t/{token}/rate", data=GOOD)
    assert again.status_code == 409
    assert "This answer has already been rated" in again.get_data(as_text=True)
    assert snapshot(appeal.id) == before
    # The e-mailed link for the same answer is used up as well.
    rate_token = db.session.scalars(
        select(AccessToken).where(AccessToken.purpose == TokenPurpose.RATE)
    ).one()
    assert rate_token.used_at is not None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"solved": "yes"}, "score", "Choose a score from 1 to 5."),
        ({"score": "6", "solved": "yes"}, "score", "Choose a score from 1 to 5."),
        ({"score": "0", "solved": "yes"}, "score", "Choose a score from 1 to 5."),
        ({"score": "abc", "solved": "yes"}, "score", "Choose a score from 1 to 5."),
        ({"score": "3"}, "solved", "Tell us whether the problem was solved."),
        ({"score": "3", "solved": "maybe"}, "solved", "Tell us whether the problem was solved."),
        ({**GOOD, "reason": "too_slow"}, "reason", "Unknown reason."),
        ({**GOOD, "comment": "x" * 2001}, "comment", "At most 2000 characters."),
    ],
    ids=["no-score", "six", "zero", "text", "no-solved", "bad-solved", "bad-reason", "long"],
)
def test_invalid_rating_shows_field_errors_and_stores_nothing(
    client, submitted, answer_as_service, data, field, message
):
    appeal, token = submitted
    answer_as_service(appeal)
    before = snapshot(appeal.id)
    response = client.post(
        f"/t/{token}/rate", data={**data, "comment": data.get("comment", "Мой комментарий")}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    errors = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    assert errors and message in errors.group(1)
    if field != "comment":
        assert "Мой комментарий" in page  # kept
    assert snapshot(appeal.id) == before


def test_expired_rating_link_changes_nothing(client, submitted, answer_as_service):
    appeal, token = submitted
    long_ago = utcnow() - timedelta(days=61)
    answer_as_service(appeal, at=long_ago)
    rate_token = offer_rating(appeal, db.session.scalars(select(Answer)).one())
    db.session.commit()
    before = snapshot(appeal.id)
    response = client.get(f"/t/{rate_token}")
    assert response.status_code == 410
    assert "This rating link has expired." in response.get_data(as_text=True)
    assert client.post(f"/t/{rate_token}/rate", data=GOOD).status_code == 410
    # The tracking link still shows the appeal, but no longer offers the rating.
    page = client.get(f"/t/{token}").get_data(as_text=True)
    assert "Rate the answer" not in page
    assert client.post(f"/t/{token}/rate", data=GOOD).status_code == 409
    assert snapshot(appeal.id) == before


def test_rating_expiry_is_configurable(app, client, submitted, answer_as_service):
    app.config["RATING_TOKEN_TTL_DAYS"] = 5
    appeal, token = submitted
    answer_as_service(appeal, at=utcnow() - timedelta(days=6))
    assert client.post(f"/t/{token}/rate", data=GOOD).status_code == 409
    app.config["RATING_TOKEN_TTL_DAYS"] = 10
    assert client.post(f"/t/{token}/rate", data=GOOD).status_code == 302


# --- Reopen ----------------------------------------------------------------------------------


def test_unsatisfied_rating_offers_reopen_with_a_new_deadline(client, submitted, answer_as_service):
    appeal, token = submitted
    from portal.services.core import compute_due_at

    appeal.submitted_at = utcnow() - timedelta(days=20)
    appeal.due_at = old_due = compute_due_at(appeal.category, appeal.submitted_at)
    db.session.commit()
    answer_as_service(appeal)
    response = client.post(f"/t/{token}/rate", data=BAD)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reopen the appeal" in page
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.ANSWERED  # not closed

    assert client.post(f"/t/{token}/reopen").status_code == 302
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.status is AppealStatus.REOPENED
    assert appeal.reopen_count == 1 and appeal.reopened_at is not None
    assert appeal.due_at > old_due
    assert appeal.due_at == compute_due_at(appeal.category, appeal.reopened_at)
    assert [e.kind for e in public_timeline(appeal.public_id)][-2:] == ["rated", "reopened"]
    public = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert "Reopened by the citizen" in public

    # Reopening twice is refused; the appeal is with the service again.
    before = snapshot(appeal.id)
    assert client.post(f"/t/{token}/reopen").status_code == 409
    assert snapshot(appeal.id) == before


def test_reopen_through_the_used_rating_link(client, submitted, answer_as_service, caplog):
    caplog.set_level("INFO")
    appeal, _ = submitted
    answer_as_service(appeal)
    mail = next(r.getMessage() for r in caplog.records if "rate the answer" in r.getMessage())
    rate_token = re.search(r"/t/([A-Za-z0-9_-]{43,})", mail).group(1)
    assert (
        client.post(f"/t/{rate_token}/rate", data={"score": "4", "solved": "no"}).status_code == 302
    )
    page = client.get(f"/t/{rate_token}").get_data(as_text=True)
    assert "Reopen the appeal" in page
    assert client.post(f"/t/{rate_token}/reopen").status_code == 302
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.REOPENED


def test_a_satisfied_rating_cannot_reopen(client, submitted, answer_as_service):
    appeal, token = submitted
    answer_as_service(appeal)
    client.post(f"/t/{token}/rate", data={"score": "3", "solved": "partly"})
    before = snapshot(appeal.id)
    response = client.post(f"/t/{token}/reopen")
    assert response.status_code == 409
    assert "cannot be reopened" in response.get_data(as_text=True)
    assert snapshot(appeal.id) == before


def test_second_round_can_be_rated_after_reopen(client, submitted, answer_as_service):
    appeal, token = submitted
    answer_as_service(appeal)
    client.post(f"/t/{token}/rate", data=BAD)
    client.post(f"/t/{token}/reopen")
    from portal.models import StaffUser
    from portal.services.staff_actions import answer as answer_appeal

    staff = db.session.scalars(select(StaffUser)).first()
    second = answer_appeal(staff, appeal.public_id, text="Повторно заделали яму.")
    assert second.round == 2
    assert client.post(f"/t/{token}/rate", data=GOOD).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 2
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status is AppealStatus.CLOSED


# --- Service layer and JSON API ----------------------------------------------------------------


def test_offer_rating_sends_no_mail_when_the_transaction_rolls_back(
    app, make_appeal, make_answer, caplog
):
    caplog.set_level("INFO")
    appeal = make_appeal(contact={"email": "citizen@example.kg"})
    answer = make_answer(appeal)
    offer_rating(appeal, answer)
    db.session.rollback()
    assert not [r for r in caplog.records if r.getMessage().startswith("mail to")]
    assert db.session.scalar(select(func.count()).select_from(AccessToken)) == 0
    token = offer_rating(appeal, answer)
    db.session.commit()
    mails = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mail to")]
    assert len(mails) == 1 and token in mails[0]


def test_service_functions_refuse_misuse(app, make_appeal, make_answer):
    from portal.services.core import Conflict, ServiceError

    appeal = make_appeal()
    answer = make_answer(appeal)
    token = offer_rating(appeal, answer)
    db.session.commit()
    with pytest.raises(ServiceError) as unknown:
        rate_answer("not-a-token", GOOD)
    assert unknown.value.status_code == 404
    with pytest.raises(Conflict):
        reopen_appeal(token)  # nothing rated yet
    rate_answer(token, {"score": 1, "solved": "no"})
    with pytest.raises(ServiceError) as used:
        rate_answer(token, GOOD)
    assert used.value.status_code == 409
    tracking = issue_token(appeal, TokenPurpose.TRACK)
    db.session.commit()
    assert reopen_appeal(tracking).status is AppealStatus.REOPENED


def test_api_rates_and_reopens_with_the_same_rules(client, submitted, answer_as_service):
    appeal, token = submitted
    status = client.get(f"/api/v1/track/{token}")
    assert status.status_code == 200 and status.json["can_rate_answer"] is None
    answer = answer_as_service(appeal)
    assert client.get(f"/api/v1/track/{token}").json["can_rate_answer"] == answer.id

    invalid = client.post(f"/api/v1/track/{token}/rating", json={"score": 9, "solved": "yes"})
    assert invalid.status_code == 400 and "score" in invalid.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0

    rated = client.post(f"/api/v1/track/{token}/rating", json={"score": 1, "solved": "no"})
    assert rated.status_code == 201
    assert rated.json["closed"] is False and rated.json["can_reopen"] is True
    twice = client.post(f"/api/v1/track/{token}/rating", json={"score": 5, "solved": "yes"})
    assert twice.status_code == 409 and "errors" in twice.json

    reopened = client.post(f"/api/v1/track/{token}/reopen")
    assert reopened.status_code == 200 and reopened.json["status"] == "reopened"
    assert client.post(f"/api/v1/track/{token}/reopen").status_code == 409

    wrong = client.post("/api/v1/track/nope/rating", json={"score": 5, "solved": "yes"})
    assert wrong.status_code == 404 and "token" in wrong.json["errors"]
    assert client.get("/api/v1/track/nope").status_code == 404


def test_a_comment_the_scrubber_fails_on_is_held_not_published_nor_lost(
    client, submitted, answer_as_service, broken_scrubber
):
    appeal, token = submitted
    answer_as_service(appeal)
    response = client.post(f"/t/{token}/rate", data={**GOOD, "comment": "Звоните 0555 123 456"})
    assert response.status_code == 302  # the rating is kept …
    rating = db.session.scalars(select(Rating)).one()
    assert rating.private_comment == "Звоните 0555 123 456"
    assert rating.public_comment is None  # … an unscrubbed comment is never published …
    # … and it waits for a moderator (so does the answer: the scrubber was broken then too)
    hold = db.session.scalars(select(HeldText).where(HeldText.rating_id == rating.id)).one()
    assert (hold.channel, hold.cause) == (TextChannel.RATING_COMMENT, HoldCause.FAILURE)


def test_a_comment_with_residual_risk_waits_and_the_moderator_publishes_it(
    client, submitted, answer_as_service, doubtful_scrubber, make_staff
):
    from portal.services.moderation import approve_text

    appeal, token = submitted
    answer_as_service(appeal)
    doubtful_scrubber.add("Айбек")
    client.post(f"/t/{token}/rate", data={**GOOD, "comment": "Спасибо, Айбек, всё сделали."})
    rating = db.session.scalars(select(Rating)).one()
    assert rating.public_comment is None
    hold = db.session.scalars(select(HeldText)).one()
    approve_text(hold.id, make_staff(role="moderator"), public_text="Спасибо, всё сделали.")
    db.session.expire_all()
    assert db.session.get(Rating, rating.id).public_comment == "Спасибо, всё сделали."
