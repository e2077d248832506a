"""``portal send-webhooks``: the webhook job's work on demand, for cron-driven installations."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("send-webhooks")
@with_appcontext
def send_webhooks_command() -> None:
    """Attempt the due webhook deliveries once (retries wait for their backoff).

    Cron-friendly: prints one summary line. A receiver's failure is not the command's:
    the delivery keeps its next attempt time (or is marked failed after the last retry).
    """
    from portal.cli import _connected_engine
    from portal.integrations.webhooks import deliver

    _connected_engine()
    result = deliver()
    click.echo(
        f"Webhooks: {result['delivered']} delivered, {result['retrying']} to retry, "
        f"{result['failed']} failed for good."
    )


COMMANDS = (send_webhooks_command,)
