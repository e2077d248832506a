"""Use cases of the integration kit (one transaction each; admins only, except the
client's own webhook, which its key authorises)."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.integrations.keys import hash_key, new_key
from portal.integrations.models import ApiClient, WebhookDelivery
from portal.models import StaffUser, utcnow
from portal.services.core import NotFound, ServiceError, transaction
from portal.services.permissions import ensure_can


def _client(ident: int) -> ApiClient:
    client = db.session.get(ApiClient, ident)
    if client is None:
        raise NotFound(_("No such API client."))
    return client


def list_clients(user: StaffUser) -> list[ApiClient]:
    ensure_can(user, "administer")
    return list(
        db.session.scalars(
            select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.slug)
        )
    )


def get_client(user: StaffUser, ident: int) -> ApiClient:
    ensure_can(user, "administer")
    return _client(ident)


def recent_deliveries(user: StaffUser, client: ApiClient, limit: int = 30) -> list[WebhookDelivery]:
    """The client's latest webhook deliveries, newest first (what admins look at)."""
    ensure_can(user, "administer")
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.client_id == client.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def create_client(user: StaffUser, data: dict) -> tuple[ApiClient, str]:
    """A new client and its key (returned once: only its hash is kept)."""
    ensure_can(user, "administer")
    with transaction():
        if db.session.scalars(select(ApiClient).where(ApiClient.slug == data["slug"])).first():
            message = _("This code is already taken.")
            raise ServiceError(message, {"slug": [message]})
        key = new_key()
        client = ApiClient(
            slug=data["slug"], name=data["name"], private_contact=data["contact"],
            rate_limit=data.get("rate_limit") or None, key_hash=hash_key(key),
            key_prefix=key[:10],
        )  # fmt: skip
        db.session.add(client)
    return client, key


def revoke_client(user: StaffUser, ident: int) -> ApiClient:
    """Revoke the client's key (for good); its pending deliveries still go out."""
    ensure_can(user, "administer")
    with transaction():
        client = _client(ident)
        client.revoked_at = client.revoked_at or utcnow()
    return client


def _set_webhook(client: ApiClient, url: str | None) -> None:
    client.webhook_url = url or None
    client.webhook_key = secrets.token_hex(32) if url else None


def set_webhook(user: StaffUser, ident: int, url: str | None) -> ApiClient:
    """Register (or clear, with an empty URL) the client's webhook; a new secret each time."""
    ensure_can(user, "administer")
    with transaction():
        client = _client(ident)
        _set_webhook(client, url)
    return client


def set_own_webhook(client_id: int, url: str | None) -> ApiClient:
    """The client registers (or clears) its own webhook with its key (the API)."""
    with transaction():
        client = _client(client_id)
        _set_webhook(client, url)
    return client


def retry_delivery(user: StaffUser, delivery_id: int) -> WebhookDelivery:
    """Give a failed delivery a fresh round of attempts, due now."""
    ensure_can(user, "administer")
    with transaction():
        delivery = db.session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            raise NotFound(_("No such delivery."))
        if delivery.delivered_at is None:
            delivery.failed_at = None
            delivery.attempts = 0
            delivery.next_attempt_at = utcnow()
    return delivery
