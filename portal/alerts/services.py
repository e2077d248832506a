"""Subscribe, confirm and unsubscribe: one transaction each; never sees ``request``.

The page says the same thing whether or not the address was already subscribed, so the
form does not tell anyone who follows what.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from portal.alerts.area import dump_ring, load_ring, ring_box
from portal.alerts.models import AlertDelivery, AlertFrequency, AlertScope, AlertSubscription
from portal.extensions import db
from portal.i18n import localized
from portal.mail import send_after_commit
from portal.models import PUBLIC_STATUSES, Appeal, Category, City, District, Service, utcnow
from portal.services.core import ServiceError
from portal.services.tokens import (
    CONFIRM_TTL,
    MAX_LINKS_PER_HOUR,
    MAX_TOKEN_LENGTH,
    absolute_link,
    hash_token,
    new_token,
)


def confirm_link(token: str) -> str:
    return absolute_link(f"/alerts/confirm/{token}")


def unsubscribe_link(subscription: AlertSubscription) -> str:
    return absolute_link(f"/alerts/unsubscribe/{unsubscribe_token(subscription)}")


def unsubscribe_token(subscription: AlertSubscription) -> str:
    """``<id>-<HMAC of the row's random key>``: works in every mail, stored nowhere."""
    secret = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(secret, f"alerts-unsubscribe:{subscription.unsubscribe_key}".encode(),
                   hashlib.sha256).hexdigest()  # fmt: skip
    return f"{subscription.id}-{mac[:43]}"


def describe_target(subscription: AlertSubscription) -> str:
    """What the subscription follows, in words (the mail's footer, the pages)."""
    scope = subscription.scope
    if scope is AlertScope.APPEAL:
        return _("appeal %(id)s", id=subscription.appeal.public_id)
    if scope is AlertScope.AREA and subscription.private_area:
        return _("an area drawn on the map (%(n)s corners, within %(box)s)",
                 n=len(load_ring(subscription.private_area)), box=_box(subscription))  # fmt: skip
    if scope is AlertScope.AREA:
        return _("an area on the map (%(box)s)", box=_box(subscription))
    model = {AlertScope.DISTRICT: District, AlertScope.CATEGORY: Category,
             AlertScope.SERVICE: Service}[scope]  # fmt: skip
    row = db.session.get(model, getattr(subscription, f"{scope.value}_id"))
    names = {
        AlertScope.DISTRICT: _("district %(name)s", name=localized(row)),
        AlertScope.CATEGORY: _("category %(name)s", name=localized(row)),
        AlertScope.SERVICE: _("service %(name)s", name=localized(row)),
    }
    return names[scope]


def _box(subscription: AlertSubscription) -> str:
    corners = (subscription.min_lon, subscription.min_lat, subscription.max_lon,
               subscription.max_lat)  # fmt: skip
    return ", ".join(f"{v:.4f}" for v in corners)


def _refused(field: str, message: str) -> ServiceError:
    return ServiceError(message, {field: [message]})


def resolve_target(data: dict) -> dict:
    """The subscription's target columns from public codes; field errors when unknown."""
    scope = AlertScope(data["scope"])
    if scope is AlertScope.APPEAL:
        appeal = db.session.scalars(
            select(Appeal).where(Appeal.public_id == data["appeal"])
        ).first()
        if appeal is None or appeal.status not in PUBLIC_STATUSES:
            raise _refused("appeal", _("There is no published appeal with this number."))
        return {"appeal_id": appeal.id}
    if scope is AlertScope.SERVICE:
        service = db.session.scalars(select(Service).where(Service.code == data["service"])).first()
        if service is None:
            raise _refused("service", _("Unknown service."))
        return {"service_id": service.id}
    if scope is AlertScope.AREA and data.get("area"):
        return _drawn_area(data["area"])
    if scope is AlertScope.AREA:
        west, south, east, north = data["bbox"]
        return {"min_lon": west, "min_lat": south, "max_lon": east, "max_lat": north,
                "private_area": None}  # fmt: skip
    city = db.session.scalars(select(City).where(City.slug == data["city"])).first()
    if city is None:
        raise _refused("city", _("Unknown city."))
    model, field = (District, "slug") if scope is AlertScope.DISTRICT else (Category, "code")
    name = scope.value
    row = db.session.scalars(
        select(model).where(model.city_id == city.id, getattr(model, field) == data[name])
    ).first()
    if row is None:
        raise _refused(
            name, _("Unknown district.") if name == "district" else _("Unknown category.")
        )
    return {f"{name}_id": row.id}


def _drawn_area(ring: list[tuple[float, float]]) -> dict:
    """A polygon inside one city's extent → its stored ring and its box."""
    west, south, east, north = ring_box(ring)
    cities = db.session.scalars(select(City))
    if not any(c.contains(lat=south, lon=west) and c.contains(lat=north, lon=east) for c in cities):
        raise _refused("area", _("Draw the area inside a city on the map."))
    return {"private_area": dump_ring(ring), "min_lon": west, "min_lat": south,
            "max_lon": east, "max_lat": north}  # fmt: skip


def subscribe(data: dict, *, language: str) -> str | None:
    """Store a pending subscription and mail its confirmation link (after commit); returns
    the link's token (None: an identical subscription is already active, nothing is sent).

    An identical pending subscription gets a fresh link (the old one stops working).
    """
    target = resolve_target(data)
    scope, frequency = AlertScope(data["scope"]), AlertFrequency(data["frequency"])
    same = select(AlertSubscription).where(
        AlertSubscription.private_email == data["email"],
        AlertSubscription.scope == scope,
        AlertSubscription.unsubscribed_at.is_(None),
        *(getattr(AlertSubscription, column) == value for column, value in target.items()),
    )
    existing = db.session.scalars(same).first()
    if existing is not None and existing.confirmed_at is not None:
        return None
    if _recent_links(data["email"]) >= MAX_LINKS_PER_HOUR:
        return None  # someone is flooding this address: the page says the same, no mail
    subscription = existing or AlertSubscription(
        private_email=data["email"], scope=scope, unsubscribe_key=secrets.token_hex(32), **target
    )
    subscription.frequency, subscription.language = frequency, language
    subscription.created_at = utcnow()
    token = new_token()
    subscription.confirm_token_hash = hash_token(token)
    db.session.add(subscription)
    db.session.flush()
    with force_locale(language):
        subject = _("Confirm your alert subscription")
        body = render_template(
            "alerts/mail_confirm.txt",
            following=describe_target(subscription),
            link=confirm_link(token),
        )
    send_after_commit(db.session, subscription.private_email, subject, body)
    db.session.commit()
    return token


def _recent_links(email: str) -> int:
    since = utcnow() - timedelta(hours=1)
    return db.session.scalar(
        select(func.count())
        .select_from(AlertSubscription)
        .where(
            AlertSubscription.private_email == email,
            AlertSubscription.confirmed_at.is_(None),
            AlertSubscription.created_at >= since,
        )
    )


def pending_by_token(token: str, now: datetime | None = None) -> AlertSubscription | None:
    """The unconfirmed subscription a confirmation token belongs to (None: not valid)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = db.session.scalars(
        select(AlertSubscription).where(AlertSubscription.confirm_token_hash == hash_token(token))
    ).first()
    if found is None or found.unsubscribed_at is not None:
        return None
    if found.created_at + CONFIRM_TTL <= (now or utcnow()):
        return None
    return found


def confirm(token: str) -> bool:
    """Activate the subscription; False when the link is unknown or expired."""
    subscription = pending_by_token(token)
    if subscription is None:
        return False
    subscription.confirmed_at = utcnow()
    subscription.confirm_token_hash = None
    db.session.commit()
    return True


def by_unsubscribe_token(token: str) -> AlertSubscription | None:
    """The subscription an unsubscribe token names (None: not valid)."""
    number, _sep, _mac = (token or "").partition("-")
    if not number.isdigit() or len(token) > MAX_TOKEN_LENGTH:
        return None
    subscription = db.session.get(AlertSubscription, int(number))
    if subscription is None or not hmac.compare_digest(unsubscribe_token(subscription), token):
        return None
    return subscription


def unsubscribe(token: str) -> bool:
    """End the subscription and drop its unsent alerts; False when the link is not valid.

    Unsubscribing twice is fine (the second time changes nothing)."""
    subscription = by_unsubscribe_token(token)
    if subscription is None:
        return False
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = utcnow()
        subscription.confirm_token_hash = None
        subscription.private_email = ""  # not needed any more: forget it
        db.session.execute(
            delete(AlertDelivery).where(
                AlertDelivery.subscription_id == subscription.id, AlertDelivery.sent_at.is_(None)
            )
        )
    db.session.commit()
    return True
