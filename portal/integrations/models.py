"""The integration tables. Both are private: no public query reads them (API keys are kept
as SHA-256 hashes; a webhook's signing secret is derived from SECRET_KEY, never stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import StatusEvent, UTCDateTime, utcnow


class ApiClient(db.Model):
    """A city app (or any integrator) holding one API key.

    Its appeals record the public channel ``open311:<slug>``; its webhook hears about the
    public events of those appeals.
    """

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # public: in the channel
    name: Mapped[str] = mapped_column(String(200))
    private_contact: Mapped[str] = mapped_column(String(200))
    # SHA-256 (hex) of the key; the key itself is shown once, when created.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))  # lets people tell keys apart
    # Flask-Limiter limit string for this key's POST requests; empty: API_KEY_RATE_LIMIT.
    rate_limit: Mapped[str | None] = mapped_column(String(60))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # Random; the signing secret is HMAC(SECRET_KEY, webhook_key). New on every URL change.
    webhook_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def channel(self) -> str:
        return f"open311:{self.slug}"


class WebhookDelivery(db.Model):
    """One public event for one client's webhook: the durable outbox row and its attempts.

    Written in the event's own transaction; ``delivered_at`` once the receiver answered 2xx,
    ``failed_at`` once every retry failed (or the appeal left the public record) — a row
    is never deleted, so nothing is lost silently.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("client_id", "event_id"),
        Index("ix_webhook_deliveries_due", "delivered_at", "failed_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("status_events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[ApiClient] = relationship()
    event: Mapped[StatusEvent] = relationship()

    @property
    def state(self) -> str:
        if self.delivered_at is not None:
            return "delivered"
        if self.failed_at is not None:
            return "failed"
        return "pending"
