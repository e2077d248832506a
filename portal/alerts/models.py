"""The alert tables. Subscriptions are private data: the e-mail address is never published,
and no public query reads ``alert_subscriptions`` (the privacy test enforces it)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import Appeal, StatusEvent, UTCDateTime, _enum, utcnow


class AlertScope(enum.StrEnum):
    """What a subscription follows."""

    APPEAL = "appeal"  # one appeal: every public event (status changes, answers)
    DISTRICT = "district"  # new appeals and answers in a district
    CATEGORY = "category"  # … of a category (in one city)
    SERVICE = "service"  # … handled by a service
    AREA = "area"  # … whose published point lies in a drawn polygon (or a typed box)


class AlertFrequency(enum.StrEnum):
    IMMEDIATE = "immediate"  # one mail per event, within minutes
    DAILY = "daily"  # one digest a day


class AlertSubscription(db.Model):
    """One address following one target; active once confirmed, until unsubscribed."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (Index("ix_alert_subscriptions_scope", "scope", "confirmed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    private_email: Mapped[str] = mapped_column(String(200), index=True)
    scope: Mapped[AlertScope] = mapped_column(_enum(AlertScope))
    frequency: Mapped[AlertFrequency] = mapped_column(_enum(AlertFrequency))
    language: Mapped[str] = mapped_column(String(2))  # of the mails: ru / ky / en
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    min_lat: Mapped[float | None] = mapped_column(Float)
    min_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    # SHA-256 of the confirmation link's token (cleared once confirmed).
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Random key: the unsubscribe token is an HMAC of it with the secret key (so every mail
    # can carry a working link while the database alone holds none).
    unsubscribe_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A drawn area's corners, ``[[lon, lat], …]`` (portal.alerts.area); min/max_lat/lon hold
    # its extent, the fan-out's pre-filter. None: the area is that box itself. Last, as the
    # migration that added it put it.
    private_area: Mapped[str | None] = mapped_column(Text)

    appeal: Mapped[Appeal | None] = relationship()

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class AlertOutbox(db.Model):
    """A public event waiting to be fanned out to subscriptions (written in the event's
    own transaction, so an event is never recorded without its outbox row)."""

    __tablename__ = "alert_outbox"

    event_id: Mapped[int] = mapped_column(ForeignKey("status_events.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class AlertDelivery(db.Model):
    """One event for one subscription; ``sent_at`` is set in the transaction that follows
    the hand-over to the mail server, so a retried job never sends it twice."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_alert_deliveries_pending", "sent_at", "subscription_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("alert_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("status_events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription: Mapped[AlertSubscription] = relationship()
    event: Mapped[StatusEvent] = relationship()
