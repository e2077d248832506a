"""API keys of city apps: created by an admin, shown once, kept as SHA-256 hashes.

A key is ``ak_`` + 43 random URL-safe characters (256 bits): too long to guess, so one
unsalted SHA-256 is enough to keep the database from holding usable keys. Recognising a
key is one indexed lookup of its hash; the environment list OPEN311_API_KEYS is still
accepted after that (the documented fallback).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import select, update

from portal.extensions import db
from portal.integrations.models import ApiClient
from portal.models import utcnow

PREFIX = "ak_"
_CACHE_KEY = "portal.key_check"
#: "Last used" is precise to a minute: a busy client does not write its row on every request.
TOUCH_EVERY = timedelta(minutes=1)
_WELL_FORMED = re.compile(r"^ak_[A-Za-z0-9_-]{20,100}$")


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyCheck:
    """What a presented key turned out to be."""

    channel: str | None = None  # None: not a valid key
    client_id: int | None = None  # a client of the admin area
    revoked: bool = False
    rate_limit: str | None = None
    identity: str = ""  # what the rate limiter counts by


def _env_channel(api_key: str) -> str | None:
    from portal.open311.views import client_channel  # the fallback keeps its own reader

    return client_channel(api_key)


def check_key(api_key: str | None, *, touch: bool = True) -> KeyCheck:
    """Recognise ``api_key`` (an admin-area client first, then OPEN311_API_KEYS).

    ``touch`` notes the client's last use (its own small transaction, so a request that
    fails later still counts as a use of the key; at most once a minute).
    """
    if not api_key:
        return KeyCheck()
    if _WELL_FORMED.match(api_key):
        client = db.session.scalars(
            select(ApiClient).where(ApiClient.key_hash == hash_key(api_key))
        ).first()
        if client is not None:
            if client.revoked_at is not None:
                return KeyCheck(revoked=True, client_id=client.id)
            found = KeyCheck(
                channel=client.channel, client_id=client.id,
                rate_limit=client.rate_limit or None, identity=f"client:{client.id}",
            )  # fmt: skip
            now = utcnow()
            if touch and (client.last_used_at is None or now - client.last_used_at > TOUCH_EVERY):
                db.session.execute(
                    update(ApiClient).where(ApiClient.id == client.id).values(last_used_at=now)
                )
                db.session.commit()
            return found
    channel = _env_channel(api_key)
    if channel is None:
        return KeyCheck()
    digest = hash_key(api_key)[:16]  # env keys are counted per key too, never by their text
    return KeyCheck(channel=channel, identity=f"env:{digest}")


def presented_key() -> str | None:
    """The API key of this request: X-Api-Key header, api_key query argument, form field
    or JSON member (Open311 puts it in the body)."""
    key = request.headers.get("X-Api-Key") or request.args.get("api_key")
    if key:
        return key
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("api_key") if isinstance(body, dict) else None
        return value if isinstance(value, str) else None
    return request.form.get("api_key") or None


def request_key() -> KeyCheck:
    """The key check of this request, done once (the rate limiter asks first)."""
    cached = request.environ.get(_CACHE_KEY)
    if cached is None:
        cached = request.environ[_CACHE_KEY] = check_key(presented_key())
    return cached


def rate_limit_key() -> str:
    """Flask-Limiter key function: the client (per key), else the remote address."""
    checked = request_key()
    return checked.identity or f"addr:{request.remote_addr or 'unknown'}"


def rate_limit_value() -> str:
    """Flask-Limiter limit: the client's own limit, else API_KEY_RATE_LIMIT."""
    return request_key().rate_limit or current_app.config["API_KEY_RATE_LIMIT"]
