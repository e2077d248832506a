"""Public status events go to the alert outbox in the transaction that records them.

A mapper listener on ``StatusEvent`` inserts the outbox row with the event's own
connection (so both are committed or rolled back together), and marks the session; after
that session commits, the ``deliver_alerts`` job is queued. Should the queue lose that
call, the job's schedule drains the outbox anyway: nothing waits for more than a minute.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event, insert
from sqlalchemy.orm import object_session

from portal.alerts.models import AlertOutbox
from portal.jobs import enqueue_after_commit
from portal.models import EventKind, StatusEvent, utcnow

#: Events a subscriber may hear about: those of the public timeline of a published appeal.
PUBLIC_EVENT_KINDS = frozenset(EventKind) - {
    EventKind.SUBMITTED,
    EventKind.REJECTED,
    EventKind.WITHDRAWN,
}


def _note_event(mapper, connection, target: StatusEvent) -> None:
    if target.kind not in PUBLIC_EVENT_KINDS:
        return
    connection.execute(
        insert(AlertOutbox.__table__).values(event_id=target.id, created_at=utcnow())
    )
    session = object_session(target)
    if session is not None:  # the job's schedule is the safety net
        enqueue_after_commit(session, "deliver_alerts", once=True)


def init_app(app: Flask) -> None:
    """Listen to status event inserts (once per process)."""
    if not event.contains(StatusEvent, "after_insert", _note_event):
        event.listen(StatusEvent, "after_insert", _note_event)
