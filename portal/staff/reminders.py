"""Reminder e-mails to services: appeals due within a few working days, and overdue ones.

Reads through ``portal.queries.inbox.reminders`` and queues one ``send_mail`` job per
service (the queue retries a mail server that does not answer); it writes nothing, so
running it twice only sends the reminders twice. The worker runs it on REMIND_SCHEDULE;
``portal remind`` runs it by hand or from cron.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from portal.queries.inbox import ServiceReminder, reminders
from portal.services.core import work_calendar
from portal.services.tokens import absolute_link

#: Longest list in one e-mail; the rest is summarised ("… and N more").
MAX_LINES = 200


@dataclass(frozen=True)
class RemindResult:
    services: int
    due_soon: int
    overdue: int


def due_window_end(now: datetime, workdays: int) -> datetime:
    """End of the ``workdays``-th working day after today (local time)."""
    return work_calendar().due_at(now, workdays)


def compose(reminder: ServiceReminder) -> tuple[str, str]:
    """(subject, body) of one service's reminder, in the portal's default language."""

    def lines(items) -> list[str]:
        shown = [
            f"  {item.public_id}  {format_date(item.due_at, 'short')}  {item.category}  "
            + absolute_link(f"/staff/appeals/{item.public_id}")
            for item in items[:MAX_LINES]
        ]
        if len(items) > MAX_LINES:
            shown.append("  " + _("… and %(num)d more", num=len(items) - MAX_LINES))
        return shown

    subject = _(
        "Achyk Shaar: %(overdue)d overdue, %(soon)d due soon — %(service)s",
        overdue=len(reminder.overdue),
        soon=len(reminder.due_soon),
        service=reminder.service_name,
    )
    body = [_("Appeals to %(service)s that need an answer:", service=reminder.service_name), ""]
    if reminder.overdue:
        body += [_("Overdue (%(num)d):", num=len(reminder.overdue)), *lines(reminder.overdue), ""]
    if reminder.due_soon:
        body += [
            _(
                "Due within %(days)d working days (%(num)d):",
                days=current_app.config["REMIND_DUE_WITHIN_WORKDAYS"],
                num=len(reminder.due_soon),
            ),
            *lines(reminder.due_soon),
            "",
        ]
    body.append(_("Inbox: %(url)s", url=absolute_link("/staff/inbox")))
    return subject, "\n".join(body)


def send_reminders(*, now: datetime, dry_run: bool = False) -> RemindResult:
    """Queue for every active service with an address its due-soon and overdue appeals."""
    from portal.jobs import enqueue

    window = current_app.config["REMIND_DUE_WITHIN_WORKDAYS"]
    found = reminders(now=now, due_before=due_window_end(now, window))
    with force_locale(current_app.config["LANGUAGES"][0]):
        for reminder in found:
            subject, body = compose(reminder)
            if not dry_run:
                enqueue("send_mail", reminder.email, subject, body)
    return RemindResult(
        services=len(found),
        due_soon=sum(len(r.due_soon) for r in found),
        overdue=sum(len(r.overdue) for r in found),
    )
