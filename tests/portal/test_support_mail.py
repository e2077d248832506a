""" "This affects me too" with an e-mail: nothing counts until the link mailed to the address
is confirmed (a page with a button, then a POST), once; the address stays private.

Jobs run at once in the test's process (JOBS_IMMEDIATE): the mail goes through a fake SMTP
server as soon as the request commits.
"""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.jobs import enqueue
from portal.models import AppealStatus, Supporter, utcnow
from portal.services.core import NotFound, ServiceError
from portal.services.support import (
    SupportResult,
    confirm_support,
    pending_support,
    purge_old_requests,
    request_support,
    supports,
)
from portal.services.tokens import hash_token
from portal.support_requests import SupportRequest
from tests.portal.test_concurrency import in_parallel
from tests.portal.test_submission_mail import FakeSMTP

RESIDENT = "me.too@example.kg"


@pytest.fixture
def mailbox(app, monkeypatch):
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="mail.city.test", SMTP_PORT=587,
                      SMTP_USER="", BASE_URL="https://achyk-shaar.kg")  # fmt: skip
    return FakeSMTP


def mails_to(address: str) -> list:
    return [message for *_, message in FakeSMTP.sent if message["To"] == address]


def ask(client, public_id: str, email: str = RESIDENT, lang: str = "en"):
    return client.post(f"/appeals/{public_id}/support?lang={lang}", data={"email": email})


def token_of(message) -> str:
    return re.search(r"/support/confirm/(\S+)", message.get_content()).group(1)


def count(client, public_id: str) -> int:
    return client.get(f"/api/v1/appeals/{public_id}").json["supporters"]


def requests_stored() -> int:
    return db.session.scalar(select(func.count(SupportRequest.id)))


def test_with_an_email_the_support_counts_once_the_mailed_link_is_confirmed(
    client, mailbox, make_appeal
):
    appeal = make_appeal()
    response = ask(client, appeal.public_id)
    assert response.status_code == 200
    assert "Check your mailbox" in response.text
    assert count(client, appeal.public_id) == 0  # not yet
    [mail] = mails_to(RESIDENT)
    assert mail["Subject"] == "Confirm that this appeal affects you too"
    assert appeal.public_id in mail.get_content()
    token = token_of(mail)
    assert f"https://achyk-shaar.kg/support/confirm/{token}" in mail.get_content()
    stored = db.session.scalars(select(SupportRequest)).one()
    assert stored.private_email == RESIDENT and stored.confirmed_at is None
    assert stored.token_hash == hash_token(token)  # the link itself is stored nowhere

    page = client.get(f"/support/confirm/{token}?lang=en")  # a mail scanner opens it
    assert page.status_code == 200 and 'method="post"' in page.text
    assert count(client, appeal.public_id) == 0
    done = client.post(f"/support/confirm/{token}?lang=en")
    assert done.status_code == 200 and "You are counted" in done.text
    assert count(client, appeal.public_id) == 1
    # The browser that asked is the one counted: its page thanks it, no form any more.
    page = client.get(f"/appeals/{appeal.public_id}?lang=en").text
    assert "You said this affects you too." in page and 'name="email"' not in page


def test_a_link_confirms_once_even_when_clicked_twice_at_the_same_time(
    app, client, mailbox, make_appeal
):
    appeal = make_appeal()
    ask(client, appeal.public_id)
    token = token_of(mails_to(RESIDENT)[0])
    public_id = appeal.public_id
    db.session.remove()

    def confirm(_):
        return app.test_client().post(f"/support/confirm/{token}?lang=en").status_code

    assert sorted(in_parallel(app, confirm, 4)) == [200, 400, 400, 400]
    assert count(client, public_id) == 1
    again = client.post(f"/support/confirm/{token}?lang=en")
    assert again.status_code == 400 and "your support is counted" in again.text
    assert client.get(f"/support/confirm/{token}?lang=en").status_code == 400
    assert count(client, public_id) == 1


@pytest.mark.parametrize("token", ["x" * 43, "not-a-token", "y" * 300])
def test_an_unknown_link_changes_nothing(client, mailbox, make_appeal, token):
    appeal = make_appeal()
    ask(client, appeal.public_id)
    for method in (client.get, client.post):
        response = method(f"/support/confirm/{token}?lang=en")
        assert response.status_code == 404
        assert "This link is not valid" in response.text
    assert count(client, appeal.public_id) == 0
    assert db.session.scalar(select(SupportRequest.confirmed_at)) is None


def test_an_expired_link_changes_nothing_and_is_forgotten(app, client, mailbox, make_appeal):
    appeal = make_appeal()
    ask(client, appeal.public_id)
    token = token_of(mails_to(RESIDENT)[0])
    db.session.execute(update(SupportRequest).values(created_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    response = client.post(f"/support/confirm/{token}?lang=en")
    assert response.status_code == 404 and "This link has expired" in response.text
    assert count(client, appeal.public_id) == 0
    # The hourly job then forgets it, address and all (a confirmed one stays counted).
    ask(app.test_client(), appeal.public_id, "other@example.kg")
    client.post(f"/support/confirm/{token_of(mails_to('other@example.kg')[0])}")
    enqueue("purge_support_requests")  # run at once (JOBS_IMMEDIATE)
    assert db.session.scalars(select(SupportRequest.private_email)).all() == ["other@example.kg"]
    assert count(client, appeal.public_id) == 1


def test_a_link_of_an_appeal_closed_meanwhile_counts_nothing(client, mailbox, make_appeal):
    appeal = make_appeal()
    ask(client, appeal.public_id)
    token = token_of(mails_to(RESIDENT)[0])
    appeal.status = AppealStatus.CLOSED
    db.session.commit()
    assert client.post(f"/support/confirm/{token}?lang=en").status_code == 409
    assert db.session.scalars(select(Supporter)).all() == []
    assert db.session.scalar(select(SupportRequest.confirmed_at)) is None


@pytest.mark.parametrize("email", ["not-an-address", "a@", "x" * 200 + "@example.kg"])
def test_a_bad_address_is_refused_and_nothing_is_stored(client, mailbox, make_appeal, email):
    appeal = make_appeal()
    response = ask(client, appeal.public_id, email, lang="ru")
    assert response.status_code == 400
    assert "Введите корректный адрес" in response.text or "Не более 200" in response.text
    assert requests_stored() == 0 and FakeSMTP.sent == []
    assert count(client, appeal.public_id) == 0


def test_an_empty_address_counts_at_once_as_before(client, mailbox, make_appeal):
    appeal = make_appeal()
    response = ask(client, appeal.public_id, email="  ")
    assert response.status_code == 303
    assert count(client, appeal.public_id) == 1
    assert requests_stored() == 0 and FakeSMTP.sent == []


def test_a_browser_counted_already_gets_no_mail(client, mailbox, make_appeal):
    appeal = make_appeal()
    client.post(f"/appeals/{appeal.public_id}/support")
    assert ask(client, appeal.public_id).status_code == 200  # the page says the same
    assert requests_stored() == 0 and FakeSMTP.sent == []


def test_a_browser_that_said_me_too_meanwhile_counts_once(client, mailbox, make_appeal):
    appeal = make_appeal()
    ask(client, appeal.public_id)
    token = token_of(mails_to(RESIDENT)[0])
    client.post(f"/appeals/{appeal.public_id}/support")  # then without an e-mail
    assert client.post(f"/support/confirm/{token}").status_code == 200
    assert count(client, appeal.public_id) == 1


def test_an_address_gets_three_links_an_hour_at_most(app, mailbox, make_appeal):
    appeal = make_appeal()
    pages = [ask(app.test_client(), appeal.public_id) for _ in range(5)]  # five browsers
    assert [page.status_code for page in pages] == [200] * 5
    assert len(mails_to(RESIDENT)) == 3 and requests_stored() == 3


def test_unpublished_and_closed_appeals_are_refused_with_an_address(client, mailbox, make_appeal):
    closed = make_appeal(status=AppealStatus.CLOSED)
    waiting = make_appeal(status=AppealStatus.SUBMITTED)
    assert ask(client, closed.public_id).status_code == 409
    assert ask(client, waiting.public_id).status_code == 404
    assert requests_stored() == 0 and FakeSMTP.sent == []


def test_supports_with_an_address_are_rate_limited(make_app, make_appeal):
    app = make_app(RATELIMIT_ENABLED=True, SUPPORT_RATE_LIMIT="2 per hour")
    with app.app_context():
        ids = [make_appeal().public_id for _ in range(3)]
    client = app.test_client()
    # Its own address: on Redis the limiter's key prefix stays the first test app's, so
    # the counters of test_supporters' client (127.0.0.1) would be shared.
    client.environ_base["REMOTE_ADDR"] = "203.0.113.18"
    statuses = [ask(client, public_id, f"r{n}@example.kg").status_code for n, public_id in
                enumerate(ids)]  # fmt: skip
    assert statuses == [200, 200, 429]
    with app.app_context():
        assert requests_stored() == 2


def test_the_mail_speaks_the_page_s_language(client, mailbox, make_appeal):
    appeal = make_appeal()
    ask(client, appeal.public_id, lang="ky")
    [mail] = mails_to(RESIDENT)
    assert mail["Subject"] != "Confirm that this appeal affects you too"
    assert "Open City" not in mail.get_content()


def test_the_use_cases_count_once_under_the_asking_browser_s_key(mailbox, make_appeal):
    appeal = make_appeal()
    browser = "b" * 40
    token = request_support(appeal.public_id, browser, RESIDENT, language="ru")
    assert not supports(appeal.public_id, browser)
    with pytest.raises(NotFound):  # a week and a second later
        pending_support(token, now=utcnow() + timedelta(days=7, seconds=1))
    assert confirm_support(token) == SupportResult(appeal.public_id, 1, added=True)
    assert supports(appeal.public_id, browser)
    with pytest.raises(ServiceError) as refused:
        confirm_support(token)
    assert refused.value.status_code == 400
    assert request_support(appeal.public_id, browser, RESIDENT, language="ru") is None
    # A week on, the confirmed request (and its address) is forgotten; the support stays.
    assert purge_old_requests(now=utcnow() + timedelta(days=7, seconds=1)) == 1
    assert requests_stored() == 0 and supports(appeal.public_id, browser)
