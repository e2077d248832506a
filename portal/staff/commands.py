"""Staff commands of the ``portal`` CLI: ``portal remind``."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="Compose the reminders but send nothing.")
@click.option("--now", "now_text", default=None, metavar="ISO-DATETIME",
              help="Pretend it is this instant (default: now), e.g. 2026-03-02T09:00+06:00.")  # fmt: skip
@with_appcontext
def remind_command(dry_run: bool, now_text: str | None) -> None:
    """E-mail each service its appeals due within 2 working days and its overdue ones.

    Cron-friendly: prints one summary line. The mails go through the job queue, which
    retries a mail server that does not answer.
    """
    from portal.cli import _connected_engine
    from portal.staff.reminders import send_reminders

    _connected_engine()
    try:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
    except ValueError:
        raise click.BadParameter("use an ISO date and time", param_hint="--now") from None
    if now.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. +06:00", param_hint="--now")
    result = send_reminders(now=now, dry_run=dry_run)
    verb = "Would remind" if dry_run else "Reminded"
    click.echo(
        f"{verb} {result.services} services: {result.overdue} overdue, {result.due_soon} due soon."
    )


COMMANDS = (remind_command,)
