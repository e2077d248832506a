"""Retries that are safe: an ``Idempotency-Key`` (API, Open311) or the web form's one-time
token makes a repeated submission return the appeal its first attempt stored.

A key is remembered with a hash of the request it first came with. The same key with the
same request — a retry after a dropped connection — finds the stored appeal and gets the
same answer, tracking link included: that link is derived from the key, the request and
the portal's secret (HMAC), so it can be given again although only its hash is stored, and
only by someone who sends the whole original request. The same key with another request
is refused (422). Concurrent retries meet at the key's primary key: one stores, the other
finds what it stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete

from portal.extensions import db
from portal.models import Appeal, IdempotencyKey, utcnow
from portal.services.core import ServiceError

#: What a key may look like: printable ASCII without spaces, at most 255 characters.
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


class KeyRefused(ServiceError):
    """The key is malformed (400) or was used for another request (422)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message, {"idempotency_key": [message]})
        self.status_code = status_code


@dataclass(frozen=True)
class RetryKey:
    """One submission's key: hashes of (scope, key) and of the request."""

    key_hash: str
    request_hash: str

    @classmethod
    def of(cls, scope: str, key: str, data: dict, photos: Sequence[bytes] = ()) -> RetryKey:
        """The key of a request; KeyRefused when ``key`` is malformed."""
        if not KEY_PATTERN.match(key):
            raise KeyRefused(_("The idempotency key must be 1–255 printable characters."), 400)
        request = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
        for photo in photos:
            request.update(hashlib.sha256(photo).digest())
        scoped = hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()
        return cls(scoped, request.hexdigest())

    @property
    def tracking_token(self) -> str:
        """The tracking link's token for this request (the same on every retry)."""
        secret = current_app.config["SECRET_KEY"].encode()
        digest = hmac.new(secret, f"{self.key_hash}:{self.request_hash}".encode(), "sha256")
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()

    def stored_appeal(self) -> Appeal | None:
        """The appeal this key already stored, None if new; KeyRefused for another request."""
        found = db.session.get(IdempotencyKey, self.key_hash, populate_existing=True)
        if found is None:
            return None
        if not hmac.compare_digest(found.request_hash, self.request_hash):
            raise KeyRefused(
                _("This idempotency key was already used for a different submission."), 422
            )
        return db.session.get(Appeal, found.appeal_id)

    def remember(self, appeal: Appeal) -> None:
        """Store the key with ``appeal`` in the current transaction (flushed at once, so a
        concurrent twin fails here, before anything else is written)."""
        db.session.add(
            IdempotencyKey(key_hash=self.key_hash, request_hash=self.request_hash,
                           appeal_id=appeal.id, created_at=utcnow())
        )  # fmt: skip
        db.session.flush()


def purge_expired() -> int:
    """Forget keys older than IDEMPOTENCY_TTL_HOURS; returns how many."""
    cutoff = utcnow() - timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    db.session.commit()
    return result.rowcount
