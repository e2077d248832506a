"""Outgoing e-mail: tracking and rating links, reminders.

MAIL_BACKEND "log" (development) prints each message, as a person reads it, to the
console (stderr) — under ``portal serve`` a developer sees the tracking and rating links
there, where the one-line JSON log folds them — and to the application log; "smtp"
sends it through SMTP_HOST with the SMTP_* settings. ``send_after_commit`` holds a
message until the current database transaction commits (a rolled-back use case never
tells anyone about something that did not happen), then hands it to the job queue, which
sends it with retries (``portal.jobs.tasks.send_mail``).
"""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy.orm import Session


class MailError(RuntimeError):
    """The message could not be handed to the mail server."""


def build_message(
    to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> EmailMessage:
    """A plain-text UTF-8 message from MAIL_FROM to ``to`` (``headers``: extra ones, e.g.
    List-Unsubscribe)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send one plain-text message now through the configured backend."""
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    if backend == "log":
        extra = "".join(f"\n{name}: {value}" for name, value in (headers or {}).items())
        echo_mail(to, subject, body)
        current_app.logger.info("mail to %s\nSubject: %s%s\n\n%s", to, subject, extra, body)
        return
    if backend != "smtp":
        raise MailError(f"unknown MAIL_BACKEND {backend!r}; use 'log' or 'smtp'")
    message = build_message(to, subject, body, headers)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot send mail through {config['SMTP_HOST']}: {exc}") from exc


def echo_mail(to: str, subject: str, body: str) -> None:
    """Print one message to stderr, readable (not folded into a one-line JSON log record)."""
    rule = "-" * 72
    sys.stderr.write(f"{rule}\nMail to: {to}\nSubject: {subject}\n\n{body}\n{rule}\n")
    sys.stderr.flush()


def send_after_commit(session: Session, to: str, subject: str, body: str) -> None:
    """Queue a message that is sent only when ``session`` commits (dropped on rollback)."""
    from portal.jobs import enqueue_after_commit

    # Never fails the use case: it is stored; the citizen has the link on the receipt.
    enqueue_after_commit(session, "send_mail", to, subject, body)
