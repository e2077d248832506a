"""E-mail with the tracking link: log backend in development, SMTP in production."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mail import MailError, send_mail
from portal.models import Appeal
from tests.portal.test_submission import form


class FakeSMTP:
    """Stands in for smtplib.SMTP and records what would have been sent."""

    sent: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port
        self.calls = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        if FakeSMTP.fail:
            raise smtplib.SMTPServerDisconnected("gone")
        FakeSMTP.sent.append((self.host, self.port, self.calls, message))


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent = []
    FakeSMTP.fail = False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(
        MAIL_BACKEND="smtp",
        SMTP_HOST="mail.city.test",
        SMTP_PORT=587,
        SMTP_USER="portal",
        SMTP_PASSWORD="secret",
        SMTP_STARTTLS=True,
        BASE_URL="https://achyk-shaar.kg",
    )
    return FakeSMTP


def test_smtp_backend_sends_the_tracking_link_in_the_citizens_language(client, smtp):
    response = client.post("/appeals/new?lang=ky", data=form(email="citizen@example.kg"))
    assert response.status_code == 302
    token = response.headers["Location"].split("/t/")[1].split("?")[0]
    [(host, port, calls, message)] = smtp.sent
    assert (host, port) == ("mail.city.test", 587)
    assert calls == ["starttls", ("login", "portal", "secret")]
    assert message["To"] == "citizen@example.kg"
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.public_id in message["Subject"]
    body = message.get_content()
    assert f"https://achyk-shaar.kg/t/{token}" in body
    assert "кайрылууңуз" in body  # Kyrgyz, the language the citizen used


def test_a_mail_failure_does_not_lose_the_appeal(client, smtp):
    smtp.fail = True
    response = client.post("/appeals/new", data=form(email="citizen@example.kg"))
    assert response.status_code == 302  # the receipt still shows the link
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1


def test_no_mail_for_a_rejected_submission(client, smtp):
    response = client.post("/appeals/new", data=form(email="citizen@example.kg", consent=None))
    assert response.status_code == 400
    assert smtp.sent == []


def test_send_mail_reports_an_unreachable_server(app, smtp):
    smtp.fail = True
    with pytest.raises(MailError, match="mail.city.test"):
        send_mail("someone@example.kg", "Subject", "Body")


def test_unknown_backend_is_an_error(app):
    app.config["MAIL_BACKEND"] = "pigeon"
    with pytest.raises(MailError, match="MAIL_BACKEND"):
        send_mail("someone@example.kg", "Subject", "Body")


def test_log_backend_prints_the_links_readably_to_the_console(app, client, capfd):
    """`portal serve` with the default backend: the developer sees the mail in the console."""
    app.config.update(MAIL_BACKEND="log", BASE_URL="http://127.0.0.1:5000")
    response = client.post("/appeals/new?lang=en", data=form(email="citizen@example.kg"))
    assert response.status_code == 302
    token = response.headers["Location"].split("/t/")[1].split("?")[0]
    err = capfd.readouterr().err
    assert "Mail to: citizen@example.kg" in err
    # On a line of its own, not escaped inside a one-line JSON log record.
    assert f"http://127.0.0.1:5000/t/{token}" in err.splitlines()
