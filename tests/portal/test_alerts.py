"""E-mail alerts: subscribe → confirm → public event → mail with one-click unsubscribe.

Jobs run at once in the test's process (JOBS_IMMEDIATE), so an event's commit queues the
``deliver_alerts`` job, which sends through a fake SMTP server.
"""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.alerts import delivery
from portal.alerts.delivery import deliver
from portal.alerts.models import AlertDelivery, AlertOutbox, AlertSubscription
from portal.extensions import db
from portal.mail import MailError
from portal.models import AppealStatus, utcnow
from tests.portal.test_submission_mail import FakeSMTP

SUBSCRIBER = "resident.alerts@example.kg"
PRIVATE_MARKER = "ЧАСТНЫЙМАРКЕР"


@pytest.fixture
def mailbox(app, monkeypatch):
    """A fake SMTP server (as in test_submission_mail) and links built on the real host."""
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="mail.city.test", SMTP_PORT=587,
                      SMTP_USER="", BASE_URL="https://achyk-shaar.kg")  # fmt: skip
    return FakeSMTP


def sent_to(address: str) -> list:
    return [message for *_, message in FakeSMTP.sent if message["To"] == address]


def body(message) -> str:
    return message.get_content()


def subscribe(client, **fields) -> str:
    """Subscribe through the form; returns the confirmation link's token."""
    before = len(sent_to(fields.get("email", SUBSCRIBER)))
    response = client.post("/alerts/subscribe", data={"email": SUBSCRIBER, **fields})
    assert response.status_code == 200, response.get_data(as_text=True)
    mails = sent_to(fields.get("email", SUBSCRIBER))
    assert len(mails) == before + 1
    return re.search(r"/alerts/confirm/(\S+)", body(mails[-1])).group(1)


def confirm(client, token: str) -> None:
    page = client.get(f"/alerts/confirm/{token}")
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert client.post(f"/alerts/confirm/{token}").status_code == 200


def unsubscribe_url(message) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith("<https://achyk-shaar.kg/alerts/unsubscribe/")
    return header.strip("<>").removeprefix("https://achyk-shaar.kg")


def test_confirmed_subscriber_gets_the_answer_with_one_click_unsubscribe(
    client, mailbox, make_appeal, make_answer
):
    appeal = make_appeal()
    token = subscribe(client, scope="appeal", appeal=appeal.public_id)
    make_answer(appeal, text="Яма заделана асфальтом.")
    assert len(sent_to(SUBSCRIBER)) == 1, "nothing is sent before confirmation"

    confirm(client, token)
    make_answer(appeal, text="Повторно проверено, всё в порядке.")
    alert = sent_to(SUBSCRIBER)[-1]
    assert len(sent_to(SUBSCRIBER)) == 2
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = body(alert)
    assert appeal.public_id in text and "Повторно проверено" in text
    assert unsubscribe_url(alert) in text  # the link in the body too
    assert f"https://achyk-shaar.kg/appeals/{appeal.public_id}" in text

    # RFC 8058: the mail client posts, without a session or a CSRF token.
    response = client.post(unsubscribe_url(alert), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    make_answer(appeal, text="Третий ответ.")
    assert len(sent_to(SUBSCRIBER)) == 2, "no mail after unsubscribing"


def test_alert_mails_carry_only_the_published_text(client, mailbox, make_appeal):
    confirm(client, subscribe(client, scope="district", city="bishkek",
                              district=_first_district("bishkek")))  # fmt: skip
    appeal = make_appeal(
        text=f"Яма у дома 5, звоните {PRIVATE_MARKER}", public_text="Яма у дома […]"
    )
    (alert,) = sent_to(SUBSCRIBER)[1:]
    assert appeal.public_id in body(alert) and "Яма у дома […]" in body(alert)
    assert PRIVATE_MARKER not in alert.as_string()


def test_one_click_unsubscribe_works_with_csrf_protection_on(make_app, mailbox):
    app = make_app(WTF_CSRF_ENABLED=True)
    assert app.test_client().post("/alerts/unsubscribe/1-nonsense").status_code == 404


def test_unsubscribe_page_asks_before_it_acts(client, mailbox, make_appeal, make_answer):
    appeal = make_appeal()
    confirm(client, subscribe(client, scope="appeal", appeal=appeal.public_id))
    make_answer(appeal)
    url = unsubscribe_url(sent_to(SUBSCRIBER)[-1])
    page = client.get(url)
    assert page.status_code == 200 and appeal.public_id in page.get_data(as_text=True)
    assert db.session.scalar(select(AlertSubscription.unsubscribed_at)) is None
    assert client.post(url).status_code == 200
    assert db.session.scalar(select(AlertSubscription.unsubscribed_at)) is not None
    assert client.get(url.replace("-", "-x", 1)).status_code == 404


def test_daily_digest_groups_the_days_events_in_one_mail(client, mailbox, make_appeal):
    confirm(client, subscribe(client, scope="category", city="bishkek", category="pothole",
                              frequency="daily"))  # fmt: skip
    first, second = make_appeal(), make_appeal()
    make_appeal(category="garbage")  # another category: not in the digest
    assert len(sent_to(SUBSCRIBER)) == 1, "daily subscribers get nothing at once"

    assert deliver(digests=True)["digests"] == 1
    (digest,) = sent_to(SUBSCRIBER)[1:]
    assert first.public_id in body(digest) and second.public_id in body(digest)
    assert digest["List-Unsubscribe"]
    assert deliver(digests=True)["digests"] == 0, "a digest is sent once"


def test_a_failed_delivery_is_retried_without_duplicates(client, mailbox, make_appeal, monkeypatch):
    confirm(client, subscribe(client, scope="service", service=_service_of(make_appeal())))
    real_send, calls = delivery.send_mail, []

    def flaky(to, subject, text, headers=None):
        calls.append(subject)
        if len(calls) == 2:
            raise MailError("server gone")
        real_send(to, subject, text, headers=headers)

    monkeypatch.setattr(delivery, "send_mail", flaky)
    monkeypatch.setattr("portal.jobs.enqueue", lambda *args: None)  # the queue is slow today
    make_appeal(), make_appeal()
    with pytest.raises(MailError):  # the job fails: its retry comes later
        deliver()
    assert len(sent_to(SUBSCRIBER)) == 2  # confirmation + the first alert
    assert deliver()["immediate"] == 1  # the retry sends only what is left
    assert deliver()["immediate"] == 0
    assert len(sent_to(SUBSCRIBER)) == 3
    pending = select(func.count()).select_from(AlertDelivery).where(AlertDelivery.sent_at.is_(None))
    assert db.session.scalar(pending) == 0
    assert db.session.scalar(
        select(func.count()).select_from(AlertOutbox).where(AlertOutbox.processed_at.is_(None))
    ) == 0  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field", "english"),
    [
        ({"email": "not-an-address", "scope": "service", "service": "x"}, "email",
         "Enter a valid e-mail address."),
        ({"scope": "everything"}, "scope", "Choose what to follow."),
        ({"scope": "appeal"}, "appeal", "This field is required."),
        ({"scope": "appeal", "appeal": "BSK-2020-999999"}, "appeal",
         "There is no published appeal with this number."),
        ({"scope": "area", "bbox": "74.5,42.8,north"}, "bbox",
         "Enter the area as four numbers: west, south, east, north."),
        ({"scope": "area", "bbox": "70,40,75,45"}, "bbox",
         "The area is too large; draw a smaller one."),
        ({"scope": "district", "city": "bishkek", "district": "nowhere"}, "district",
         "Unknown district."),
        ({"scope": "daily", "frequency": "hourly"}, "scope", "Choose what to follow."),
    ],
)  # fmt: skip
def test_bad_input_is_a_translated_400_and_changes_nothing(client, mailbox, fields, field, english):
    data = {"email": SUBSCRIBER, **fields}
    response = client.post("/alerts/subscribe?lang=en", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert english in page and f'id="{field}-errors"' in page
    russian = client.post("/alerts/subscribe?lang=ru", data=data)
    assert russian.status_code == 400 and english not in russian.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AlertSubscription)) == 0
    assert sent_to(SUBSCRIBER) == []


def test_the_appeal_page_and_the_list_link_to_the_form(client, make_appeal):
    appeal = make_appeal()
    page = client.get(f"/appeals/{appeal.public_id}").get_data(as_text=True)
    assert f"/alerts/subscribe?appeal={appeal.public_id}" in page
    listing = client.get("/appeals?city=bishkek&category=pothole").get_data(as_text=True)
    link = re.search(r'href="(/alerts/subscribe[^"]*)"', listing).group(1)
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="category" checked' in form and 'value="pothole" selected' in form
    assert SUBSCRIBER not in form


def test_subscribing_twice_does_not_double_the_mails(client, mailbox, make_appeal, make_answer):
    appeal = make_appeal()
    confirm(client, subscribe(client, scope="appeal", appeal=appeal.public_id))
    response = client.post("/alerts/subscribe", data={"email": SUBSCRIBER.upper(),
                                                      "scope": "appeal", "appeal": appeal.public_id})  # fmt: skip
    assert response.status_code == 200
    assert len(sent_to(SUBSCRIBER)) == 1, "an active subscription gets no second link"
    make_answer(appeal)
    assert len(sent_to(SUBSCRIBER)) == 2


def test_an_expired_or_unknown_confirmation_link_changes_nothing(client, mailbox, make_appeal):
    appeal = make_appeal()
    token = subscribe(client, scope="appeal", appeal=appeal.public_id)
    assert client.post(f"/alerts/confirm/{token}x").status_code == 404
    assert db.session.scalar(select(AlertSubscription.confirmed_at)) is None


def _first_district(city: str) -> str:
    from tests.factories import city_by_slug

    return city_by_slug(city).districts[0].slug


def _service_of(appeal) -> str:
    return appeal.service.code


def test_unsubscribing_forgets_the_address(client, mailbox, make_appeal, make_answer):
    appeal = make_appeal()
    confirm(client, subscribe(client, scope="appeal", appeal=appeal.public_id))
    make_answer(appeal)
    assert client.post(unsubscribe_url(sent_to(SUBSCRIBER)[-1])).status_code == 200
    assert db.session.scalar(select(AlertSubscription.private_email)) == ""


def test_unconfirmed_subscriptions_are_forgotten_when_their_link_expires(
    client, mailbox, make_appeal
):
    appeal = make_appeal()
    token = subscribe(client, scope="appeal", appeal=appeal.public_id)
    later = utcnow() + timedelta(days=8)
    with Session(db.engine) as session:
        assert delivery.purge_unconfirmed(session, now=utcnow()) == 0
        assert delivery.purge_unconfirmed(session, now=later) == 1
    assert client.post(f"/alerts/confirm/{token}").status_code == 404


def test_the_form_is_rate_limited(make_app, mailbox):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [
        client.post("/alerts/subscribe", data={"scope": "appeal"}).status_code for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]


def test_the_real_queue_retries_a_failed_alert_and_sends_it_once(make_app, mailbox, make_appeal,
                                                                  monkeypatch):  # fmt: skip
    """Through the embedded SQLite queue: the event's commit queues ``deliver_alerts``; the
    first run fails at the mail server, huey's retry sends the alert, once."""
    from portal.jobs import JOBS, queue

    queued = make_app(JOBS_IMMEDIATE=False, BASE_URL="https://achyk-shaar.kg")
    attempts = []

    def flaky(to, subject, text, headers=None):
        attempts.append(subject)
        if len(attempts) == 1:
            raise MailError("SMTP down")

    monkeypatch.setattr(delivery, "send_mail", flaky)
    with queued.app_context():
        huey = queue().huey
        huey.flush()
        service = make_appeal().service
        huey.flush()
        deliver()  # that appeal's event is drained before anyone follows the service
        db.session.add(
            AlertSubscription(
                private_email=SUBSCRIBER,
                scope="service",
                frequency="immediate",
                language="ru",
                service_id=service.id,
                unsubscribe_key="k" * 64,
                confirmed_at=utcnow(),
            )  # fmt: skip
        )
        db.session.commit()
        huey.flush()
        appeal = make_appeal()
        assert huey.pending_count() == 1 and attempts == []  # nothing sent in the request
        huey.execute(huey.dequeue())
        assert attempts == [f"{appeal.public_id}: Опубликовано после модерации"]
        [waiting] = huey.scheduled()
        assert waiting.retries == JOBS["deliver_alerts"].retries - 1
        [retry] = huey.read_schedule(waiting.eta)
        huey.execute(retry, timestamp=waiting.eta)
        assert len(attempts) == 2
        assert deliver()["immediate"] == 0  # the periodic run finds nothing left
        assert len(attempts) == 2


def test_alerts_of_an_appeal_unpublished_meanwhile_are_dropped(client, mailbox, make_appeal):
    confirm(client, subscribe(client, scope="category", city="bishkek", category="pothole",
                              frequency="daily"))  # fmt: skip
    kept, withdrawn = make_appeal(), make_appeal(public_text="Текст, снятый с публикации.")
    withdrawn.status = AppealStatus.WITHDRAWN
    db.session.commit()
    assert deliver(digests=True)["digests"] == 1
    (digest,) = sent_to(SUBSCRIBER)[1:]
    assert kept.public_id in body(digest)
    assert withdrawn.public_id not in body(digest) and "снятый" not in body(digest)
    pending = select(func.count()).select_from(AlertDelivery).where(AlertDelivery.sent_at.is_(None))
    assert db.session.scalar(pending) == 0


def test_one_address_gets_at_most_three_confirmation_mails_an_hour(client, mailbox):
    for city, district in (("bishkek", 0), ("bishkek", 1), ("osh", 0), ("osh", 1)):
        from tests.factories import city_by_slug

        slug = city_by_slug(city).districts[district].slug
        response = client.post("/alerts/subscribe", data={
            "email": SUBSCRIBER, "scope": "district", "city": city, "district": slug})  # fmt: skip
        assert response.status_code == 200  # the same page every time
    assert len(sent_to(SUBSCRIBER)) == 3


def test_send_alerts_command_for_cron(client, mailbox, make_appeal, runner):
    confirm(client, subscribe(client, scope="category", city="bishkek", category="pothole",
                              frequency="daily"))  # fmt: skip
    make_appeal()
    outcome = runner.invoke(args=["send-alerts", "--digests"])
    assert outcome.exit_code == 0, outcome.output
    assert "1 digests" in outcome.output and len(sent_to(SUBSCRIBER)) == 2
