"""Webhooks: the public events of a client's appeals, signed and delivered from an outbox.

- **What**: the public events of the appeals a client sent (status changes, answers,
  ratings, outcomes — ``PUBLIC_EVENT_KINDS``), each as JSON built from the public record
  only (the fields of ``opendata.schema.APPEALS`` and the event's public note).
- **Outbox**: a mapper listener on ``StatusEvent`` writes one ``webhook_deliveries`` row
  per event of an appeal whose channel names a client with a webhook, with the event's
  own connection (same transaction). After the commit the ``deliver_webhooks`` job is
  queued; its one-minute schedule is the safety net.
- **Signature**: header ``X-Portal-Signature: t=<unix time>,v1=<hex>`` where ``hex`` is
  HMAC-SHA256 over ``"<t>.<body>"`` with the client's webhook secret. Receivers recompute
  it and refuse a ``t`` older than ``REPLAY_WINDOW`` seconds (each attempt signs anew).
- **Where**: the host is resolved at each attempt and refused unless every address is
  globally routable; the POST goes to the checked address (``transport``: no rebinding).
- **Retries**: a non-2xx answer, a refused address, a timeout or a refused connection is
  retried after each of WEBHOOK_RETRY_DELAYS seconds in turn; after the last one the row
  is marked failed (admins see it and may retry it). Delivery is at least once: receivers
  de-duplicate by the ``X-Portal-Delivery`` id.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, object_session

from opendata.schema import APPEALS
from portal.alerts.outbox import PUBLIC_EVENT_KINDS
from portal.extensions import db
from portal.integrations import transport
from portal.integrations.models import ApiClient, WebhookDelivery
from portal.jobs import enqueue_after_commit
from portal.models import PUBLIC_STATUSES, Appeal, StatusEvent, utcnow

#: Seconds a receiver should accept a signature's timestamp (documented in the README).
REPLAY_WINDOW = 300
SIGNATURE_HEADER = "X-Portal-Signature"
BATCH = 100
_CHANNEL_PREFIX = "open311:"


# --- URLs -------------------------------------------------------------------------------------


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot be a webhook (a translated sentence), or None when it can."""
    if len(url) > 500 or any(c.isspace() for c in url):
        return _("Give an http:// or https:// address without spaces, at most 500 characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return _("This is not a valid address.")
    if parts.scheme not in ("http", "https") or not host:
        return _("Give an http:// or https:// address without spaces, at most 500 characters.")
    if parts.username or parts.password:
        return _("The address must not contain a user name or password.")
    if parts.fragment:
        return _("The address must not contain a fragment (#…).")
    if allow_private:
        return None
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return _("The address must be reachable from the internet (not a local host).")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return _("The address must be reachable from the internet (not a local host).")
    return None


# --- Signature --------------------------------------------------------------------------------


def signing_secret(client: ApiClient) -> str:
    """The client's webhook secret: HMAC(SECRET_KEY, its random webhook key), never stored."""
    key = current_app.config["SECRET_KEY"].encode()
    return "whsec_" + hmac.new(key, (client.webhook_key or "").encode(), hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    """What a receiver does (the README shows the same few lines)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > REPLAY_WINDOW:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- Outbox -----------------------------------------------------------------------------------


def _note_event(mapper, connection, target: StatusEvent) -> None:
    if target.kind not in PUBLIC_EVENT_KINDS:
        return
    channel = connection.execute(
        select(Appeal.__table__.c.channel).where(Appeal.__table__.c.id == target.appeal_id)
    ).scalar()
    if not channel or not channel.startswith(_CHANNEL_PREFIX):
        return
    clients = ApiClient.__table__.c
    client_id = connection.execute(
        select(clients.id).where(
            clients.slug == channel[len(_CHANNEL_PREFIX) :], clients.webhook_url.is_not(None)
        )
    ).scalar()
    if client_id is None:
        return
    now = utcnow()
    connection.execute(
        insert(WebhookDelivery.__table__).values(
            client_id=client_id,
            event_id=target.id,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )  # fmt: skip
    )
    session = object_session(target)
    if session is not None:  # the job's schedule is the safety net
        enqueue_after_commit(session, "deliver_webhooks", once=True)


def init_app(app: Flask) -> None:
    """Listen to status event inserts (once per process)."""
    if not event.contains(StatusEvent, "after_insert", _note_event):
        event.listen(StatusEvent, "after_insert", _note_event)


# --- Delivery ---------------------------------------------------------------------------------


def _iso(value):
    from portal.api.appeals import _iso as api_iso

    return api_iso(value)


def payload(session: Session, delivery: WebhookDelivery) -> dict | None:
    """The JSON of one delivery: the event and the appeal's public record (None when the
    appeal is not in the public record any more)."""
    from portal.queries.appeals import public_appeals_select, to_record
    from portal.services.tokens import absolute_link

    event_row = delivery.event
    appeal = event_row.appeal
    if appeal.status not in PUBLIC_STATUSES:
        return None
    row = session.execute(
        public_appeals_select().where(Appeal.public_id == appeal.public_id)
    ).first()
    if row is None:
        return None
    record = to_record(row)
    fields = {spec.name: _iso(getattr(record, spec.attribute)) for spec in APPEALS.fields}
    return {
        "delivery": delivery.id,
        "event": {
            "kind": event_row.kind.value,
            "at": _iso(event_row.created_at),
            "note": event_row.public_note,
        },
        "appeal": fields,
        "url": absolute_link(f"/appeals/{appeal.public_id}"),
    }


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to the checked address of ``url``; the HTTP status (an exception when
    there is none, ``transport.RefusedAddress`` when the host is not on the internet)."""
    allow_private = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    return transport.post(url, body, headers, timeout, allow_private=allow_private)


def retry_delays() -> list[int]:
    return [int(value) for value in current_app.config["WEBHOOK_RETRY_DELAYS"]]


def _attempt(session: Session, delivery: WebhookDelivery, now: datetime) -> bool:
    client = delivery.client
    body_data = payload(session, delivery)
    if body_data is None or not client.webhook_url:
        delivery.failed_at = now
        delivery.last_error = (
            "appeal is not public any more" if body_data is None else "webhook removed"
        )
        return False
    body = json.dumps(body_data, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "achyk-shaar-webhooks/1",
        "X-Portal-Event": body_data["event"]["kind"],
        "X-Portal-Delivery": str(delivery.id),
        SIGNATURE_HEADER: sign(signing_secret(client), body, int(time.time())),
    }
    delivery.attempts += 1
    delivery.last_attempt_at = now
    try:
        status = post(client.webhook_url, body, headers, current_app.config["WEBHOOK_TIMEOUT"])
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except transport.RefusedAddress as exc:  # retried: the name may be fixed; never sent
        status, error = None, str(exc)[:300]
    except Exception as exc:  # noqa: BLE001 - any failure to deliver is retried
        status, error = None, f"{type(exc).__name__}: {exc}"[:300]
    delivery.last_status_code = status
    delivery.last_error = error
    if error is None:
        delivery.delivered_at = now
        return True
    delays = retry_delays()
    if delivery.attempts > len(delays):
        delivery.failed_at = now
    else:
        delivery.next_attempt_at = now + timedelta(seconds=delays[delivery.attempts - 1])
    return False


def deliver(now: datetime | None = None) -> dict[str, int]:
    """Attempt every due delivery once (the job calls it), committing after each."""
    now = now or utcnow()
    result = {"delivered": 0, "failed": 0, "retrying": 0}
    with Session(db.engine, expire_on_commit=False) as session:
        due = select(WebhookDelivery.id).where(
            WebhookDelivery.delivered_at.is_(None), WebhookDelivery.failed_at.is_(None),
            WebhookDelivery.next_attempt_at <= now,
        ).order_by(WebhookDelivery.id).limit(BATCH)  # fmt: skip
        ids = list(session.scalars(due))
        session.commit()
        for ident in ids:
            claim = (
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.id == ident,
                    WebhookDelivery.delivered_at.is_(None),
                    WebhookDelivery.failed_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now,
                )  # fmt: skip
                .with_for_update(skip_locked=True)
            )
            delivery = session.scalars(claim).first()
            if delivery is None:
                session.commit()
                continue
            if _attempt(session, delivery, now):
                result["delivered"] += 1
            elif delivery.failed_at is not None:
                result["failed"] += 1
                current_app.logger.warning(
                    "webhook delivery %s to client %s failed for good: %s",
                    delivery.id, delivery.client_id, delivery.last_error,
                )  # fmt: skip
            else:
                result["retrying"] += 1
            session.commit()
    return result
