"""Every job of the portal, declared once. A job is a thin call into a service or module.

Adding one: write a function here with ``@job(...)`` (retries, delay, optional schedule —
a setting holding a cron expression, or the expression itself) and call
``enqueue("its_name", …)`` after the transaction that calls for it committed. Arguments
must be plain values (they are pickled into the queue); the function runs in an
application context, in the worker.
"""

from __future__ import annotations

from portal.jobs import beat, job


@job(retries=5, retry_delay=120)
def send_mail(to: str, subject: str, body: str) -> None:
    """Hand one message to the mail server (a failure raises, so it is retried)."""
    from portal.mail import send_mail as send_now

    send_now(to, subject, body)


@job(retries=2, retry_delay=600, schedule="REMIND_SCHEDULE")
def send_reminders() -> None:
    """Queue each service's reminder of its due-soon and overdue appeals."""
    from portal.models import utcnow
    from portal.staff.reminders import send_reminders as remind

    remind(now=utcnow())


@job(retries=2, retry_delay=900, schedule="PUBLISH_SCHEDULE")
def publish_snapshot() -> None:
    """Publish today's open-data snapshot (and sweep interrupted runs)."""
    from portal.datasets.commands import publish_today

    publish_today()


@job(retries=1, retry_delay=300, schedule="17 * * * *")
def purge_idempotency_keys() -> None:
    """Forget idempotency keys and form tokens older than IDEMPOTENCY_TTL_HOURS."""
    from portal.services.idempotency import purge_expired

    purge_expired()


@job(retries=1, retry_delay=300, schedule="23 * * * *")
def purge_support_requests() -> None:
    """Forget "me too" requests whose confirmation link expired unused (their e-mails)."""
    from portal.services.support import purge_old_requests

    purge_old_requests()


@job(retries=0, schedule="* * * * *")
def heartbeat() -> None:
    """Let /readyz see that a worker is running."""
    beat()


@job(retries=5, retry_delay=120, schedule="* * * * *")
def deliver_alerts() -> None:
    """Fan new public events out to alert subscriptions and send the immediate alerts
    (queued after each commit that recorded an event; the schedule is the safety net)."""
    from portal.alerts.delivery import deliver

    deliver()


@job(retries=5, retry_delay=600, schedule="0 8 * * *")
def send_alert_digests() -> None:
    """Every morning (Asia/Bishkek), each daily subscriber's digest of yesterday's events."""
    from portal.alerts.delivery import deliver

    deliver(digests=True)


@job(retries=3, retry_delay=60, schedule="* * * * *")
def deliver_webhooks() -> None:
    """Attempt the due webhook deliveries (queued after each commit that noted one; the
    schedule picks up retries, whose backoff each outbox row keeps itself)."""
    from portal.integrations.webhooks import deliver

    deliver()


@job(retries=2, retry_delay=60)
def encode_video(video_id: int) -> None:
    """Re-encode an uploaded video (H.264/AAC MP4 ≤ 720p, no metadata, a poster) for
    moderation (queued when the appeal or answer that carries it is stored)."""
    from portal.services.videos import encode

    encode(video_id)
