"""``portal send-alerts``: the alert jobs' work on demand, for cron-driven installations."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("send-alerts")
@click.option("--digests", is_flag=True, help="Also send the daily digests (once a day).")
@with_appcontext
def send_alerts_command(digests: bool) -> None:
    """Send pending e-mail alerts (and, with --digests, the daily digests).

    Cron-friendly: prints one summary line; exits non-zero when the mail server fails
    (what was sent stays marked sent, so the next run sends only the rest).
    """
    from portal.alerts.delivery import deliver
    from portal.cli import _connected_engine

    _connected_engine()
    result = deliver(digests=digests)
    click.echo(
        f"Alerts: {result['events']} events, {result['immediate']} sent at once, "
        f"{result.get('digests', 0)} digests."
    )


COMMANDS = (send_alerts_command,)
