"""The jobs' work: fan the outbox out to subscriptions, send immediate alerts and digests.

Every step commits what it finished before the next one can fail: the outbox row is marked
processed with the deliveries it produced (one transaction); a delivery is marked sent
right after the mail server took it. A failure raises, the job is retried, and the retry
picks up exactly what is left — nothing is lost, nothing sent twice (the window between
the server's acceptance and the commit is the usual at-least-once edge).

Mails carry only the public record: texts the publication gate wrote (``public_*``
columns), codes and names of reference data, and links.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from portal import labels
from portal.alerts.area import contains, load_ring
from portal.alerts.models import (
    AlertDelivery,
    AlertFrequency,
    AlertOutbox,
    AlertScope,
    AlertSubscription,
)
from portal.alerts.services import describe_target, unsubscribe_link
from portal.extensions import db
from portal.i18n import localized
from portal.mail import send_mail
from portal.models import PUBLIC_STATUSES, Answer, Appeal, EventKind, StatusEvent, utcnow
from portal.services.tokens import CONFIRM_TTL, absolute_link

#: Events that reach followers of a district, category, service or area (new appeals and
#: answers); followers of one appeal hear about every public event.
BROAD_KINDS = (EventKind.PUBLISHED, EventKind.ANSWERED)
BATCH = 500


def _active():
    return and_(
        AlertSubscription.confirmed_at.is_not(None), AlertSubscription.unsubscribed_at.is_(None)
    )


def matching(session: Session, event: StatusEvent, appeal: Appeal) -> list[int]:
    """Ids of the active subscriptions that follow ``event``.

    An area is matched by the appeal's published (masked) point, never the private one: the
    box pre-filters in SQL, then a drawn polygon is tested exactly."""
    wanted = [
        and_(AlertSubscription.scope == AlertScope.APPEAL, AlertSubscription.appeal_id == appeal.id)
    ]
    if event.kind in BROAD_KINDS:
        wanted += [
            and_(AlertSubscription.scope == AlertScope.DISTRICT, AlertSubscription.district_id == appeal.district_id),
            and_(AlertSubscription.scope == AlertScope.CATEGORY, AlertSubscription.category_id == appeal.category_id),
            and_(AlertSubscription.scope == AlertScope.SERVICE, AlertSubscription.service_id == appeal.service_id),
        ]  # fmt: skip
        if appeal.public_lat is not None and appeal.public_lon is not None:
            wanted.append(
                and_(
                    AlertSubscription.scope == AlertScope.AREA,
                    AlertSubscription.min_lat <= appeal.public_lat,
                    AlertSubscription.max_lat >= appeal.public_lat,
                    AlertSubscription.min_lon <= appeal.public_lon,
                    AlertSubscription.max_lon >= appeal.public_lon,
                )
            )
    query = select(AlertSubscription.id, AlertSubscription.private_area).where(
        _active(), or_(*wanted)
    )
    return [
        subscription_id
        for subscription_id, area in session.execute(query)
        if area is None or contains(load_ring(area), lat=appeal.public_lat, lon=appeal.public_lon)
    ]


def fan_out(session: Session) -> int:
    """Turn waiting outbox rows into deliveries; returns how many events were processed."""
    query = (
        select(AlertOutbox)
        .where(AlertOutbox.processed_at.is_(None))
        .order_by(AlertOutbox.event_id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    for row in rows:
        event = session.get(StatusEvent, row.event_id)
        appeal = event.appeal
        if appeal.status in PUBLIC_STATUSES:
            for subscription_id in matching(session, event, appeal):
                session.add(AlertDelivery(subscription_id=subscription_id, event_id=event.id))
        row.processed_at = utcnow()
    session.commit()
    return len(rows)


def _pending(session: Session, frequency: AlertFrequency):
    return (
        select(AlertDelivery)
        .join(AlertSubscription, AlertDelivery.subscription_id == AlertSubscription.id)
        .where(AlertDelivery.sent_at.is_(None), AlertSubscription.frequency == frequency, _active())
        .order_by(AlertDelivery.subscription_id, AlertDelivery.event_id)
    )


def send_immediate(session: Session) -> int:
    """Mail each pending immediate alert, marking each sent as soon as it went out."""
    sent = 0
    waiting = [d.id for d in session.scalars(_pending(session, AlertFrequency.IMMEDIATE))]
    session.commit()
    for delivery_id in waiting:
        claimed = _claim(session, [delivery_id])
        if not claimed:
            session.commit()  # another worker has it, it went out meanwhile, or was dropped
            continue
        delivery, subscription = claimed[0], claimed[0].subscription
        with force_locale(subscription.language):
            item = describe_event(session, delivery.event)
            subject = _("%(id)s: %(what)s", id=item["public_id"], what=item["label"])
            body = render_template("alerts/mail_alert.txt", items=[item], **_footer(subscription))
        _send(subscription, subject, body)
        delivery.sent_at = utcnow()
        session.commit()
        sent += 1
    return sent


def send_digests(session: Session) -> int:
    """One mail per daily subscription with everything pending, marked sent together."""
    grouped: dict[int, list[int]] = defaultdict(list)
    for delivery in session.scalars(_pending(session, AlertFrequency.DAILY)):
        grouped[delivery.subscription_id].append(delivery.id)
    session.commit()
    sent = 0
    for ids in grouped.values():
        deliveries = _claim(session, ids)
        if not deliveries:
            session.commit()
            continue
        subscription = deliveries[0].subscription
        with force_locale(subscription.language):
            items = [describe_event(session, d.event) for d in deliveries]
            subject = _("Alerts of the day: %(n)s", n=len(items))
            body = render_template("alerts/mail_alert.txt", items=items, **_footer(subscription))
        _send(subscription, subject, body)
        now = utcnow()
        for delivery in deliveries:
            delivery.sent_at = now
        session.commit()
        sent += 1
    return sent


def _claim(session: Session, ids: list[int]) -> list[AlertDelivery]:
    """Lock the still unsent deliveries among ``ids`` (PostgreSQL: rows another worker
    holds are skipped; SQLite serialises writers anyway) until the next commit."""
    query = (
        select(AlertDelivery)
        .where(AlertDelivery.id.in_(ids), AlertDelivery.sent_at.is_(None))
        .order_by(AlertDelivery.event_id)
        .with_for_update(skip_locked=True)
    )
    claimed = list(session.scalars(query))
    # An appeal withdrawn (unpublished) since the event: its alerts are dropped, not sent.
    gone = [d for d in claimed if d.event.appeal.status not in PUBLIC_STATUSES]
    for delivery in gone:
        delivery.sent_at = utcnow()
    if gone:
        session.flush()
    return [d for d in claimed if d not in gone]


def _send(subscription: AlertSubscription, subject: str, body: str) -> None:
    link = unsubscribe_link(subscription)
    headers = {
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
    }
    send_mail(subscription.private_email, subject, body, headers=headers)


def _footer(subscription: AlertSubscription) -> dict:
    return {
        "following": describe_target(subscription),
        "unsubscribe": unsubscribe_link(subscription),
    }


def describe_event(session: Session, event: StatusEvent) -> dict:
    """What a mail says about one event: public record fields only."""
    appeal = event.appeal
    answer_text = None
    if event.kind is EventKind.ANSWERED:
        answer = session.scalars(
            select(Answer).where(Answer.appeal_id == appeal.id, Answer.created_at <= event.created_at)
            .order_by(Answer.created_at.desc(), Answer.id.desc()).limit(1)
        ).first()  # fmt: skip
        answer_text = answer.public_text if answer is not None else None
    return {
        "public_id": appeal.public_id,
        "label": str(labels.EVENT.get(event.kind.value, event.kind.value)),
        "at": event.created_at,
        "category": localized(appeal.category),
        "status": str(labels.STATUS.get(appeal.status.value, appeal.status.value)),
        "text": appeal.public_text if event.kind is EventKind.PUBLISHED else None,
        "note": event.public_note,
        "answer": answer_text,
        "url": absolute_link(f"/appeals/{appeal.public_id}"),
    }


def purge_unconfirmed(session: Session, now: datetime | None = None) -> int:
    """Forget subscriptions whose confirmation link expired unused (addresses included)."""
    cutoff = (now or utcnow()) - CONFIRM_TTL
    result = session.execute(
        delete(AlertSubscription).where(
            AlertSubscription.confirmed_at.is_(None), AlertSubscription.created_at < cutoff
        )
    )
    session.commit()
    return result.rowcount


def deliver(*, digests: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Drain the outbox and send what is due (the jobs call it) in a session of its own:
    it may run right after another session's commit, in the same process."""
    with Session(db.engine, expire_on_commit=False) as session:
        events = 0
        while processed := fan_out(session):
            events += processed
            if processed < BATCH:
                break
        result = {"events": events, "immediate": send_immediate(session)}
        result["purged"] = purge_unconfirmed(session)
        if digests:
            result["digests"] = send_digests(session)
        return result
