"""The private table of "me too" supports that wait for their e-mail confirmation.

A resident who gives an e-mail with "this affects me too" is counted only once they open
the link mailed to them (portal.services.support). Until then the request lives here: the
address is private data (never published, no public query reads ``support_requests``, the
privacy test enforces it), the link's token only as its SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import UTCDateTime, utcnow


class SupportRequest(db.Model):
    """One browser's support of one appeal, waiting for (or done with) its confirmation."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    # The supporter key the confirmed support will count under (Supporter.browser_hash).
    browser_hash: Mapped[str] = mapped_column(String(64))
    private_email: Mapped[str] = mapped_column(String(200), index=True)
    # SHA-256 of the confirmation link's token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
