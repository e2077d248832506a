"""Throttling of failed staff logins that neither tells whether an account exists nor lets a
stranger lock anyone out.

Failures are counted per e-mail address as typed (the account may not exist: unknown
e-mails are throttled exactly like known ones, so the answers cannot tell them apart) and
per *source* of the attempt:

- ``browser``: a browser that has signed in to this account before carries a signed cookie
  with a random nonce (staff/auth.py). Its failures count against that nonce only, so an
  attacker elsewhere never locks out the person at their usual browser.
- ``address``: any other attempt counts against the pair (e-mail, client address). An
  office behind one NAT address is not locked out by one colleague or one attacker: other
  e-mails from the same address are not affected.
- ``account``: any other attempt also counts against the e-mail from all unrecognised
  sources together (a botnet spreading guesses over many addresses); over the limit,
  unrecognised sources wait LOGIN_LOCKOUT_MINUTES, recognised browsers still sign in.

A browser or an address that keeps failing waits twice as long after each lockout (up to
a day); counters are forgotten a day after the last failure. The table stores keyed
hashes only (HMAC with the secret key), never an e-mail or a client address.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from portal.database import upsert_insert
from portal.extensions import db
from portal.models import LoginThrottle
from portal.services.core import transaction

#: Counters are forgotten this long after the last failure; no lockout lasts longer.
MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class LoginSource:
    """Where an attempt comes from: the client's address and, when the browser has signed in
    to this account before, the nonce of its recognised-browser cookie."""

    address: str
    browser: str | None = None


@dataclass(frozen=True)
class _Rule:
    scope: str
    source: str  # keyed hash of the address or browser nonce; "" for the account scope
    max_failures: int
    grows: bool  # each lockout twice as long as the previous one


def subject_of(email: str) -> str:
    """The keyed hash under which failures of this e-mail (as typed, any case) are counted."""
    return _keyed("email", email.strip().lower())


def _keyed(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _rules(source: LoginSource) -> list[_Rule]:
    config = current_app.config
    if source.browser:
        return [
            _Rule("browser", _keyed("browser", source.browser), config["LOGIN_MAX_FAILURES"], True)
        ]
    return [
        _Rule("address", _keyed("address", source.address), config["LOGIN_MAX_FAILURES"], True),
        _Rule("account", "", config["LOGIN_ACCOUNT_MAX_FAILURES"], False),
    ]


def retry_after(email: str, source: LoginSource, now: datetime) -> int | None:
    """Seconds this source must wait before trying this e-mail again, or None."""
    subject = subject_of(email)
    waits = []
    for rule in _rules(source):
        row = _row(subject, rule)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            waits.append(int((row.locked_until - now).total_seconds()) + 1)
    return max(waits, default=None)


def record_failure(email: str, source: LoginSource, now: datetime) -> None:
    """Count one failed attempt in every scope of this source (one transaction)."""
    subject = subject_of(email)
    with transaction():
        for rule in _rules(source):
            _count(subject, rule, now)


def forgive(email: str, source: LoginSource) -> None:
    """A successful sign-in clears its own source's counters (not the account's)."""
    subject = subject_of(email)
    sources = [rule.source for rule in _rules(source) if rule.scope != "account"]
    with transaction():
        db.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.subject == subject, LoginThrottle.source.in_(sources)
            )
        )


def clear(email: str) -> None:
    """Forget every counter of this e-mail (an administrator reset the password); runs in
    the caller's transaction."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.subject == subject_of(email)))


def _row(subject: str, rule: _Rule, *, lock: bool = False) -> LoginThrottle | None:
    query = select(LoginThrottle).where(
        LoginThrottle.scope == rule.scope,
        LoginThrottle.subject == subject,
        LoginThrottle.source == rule.source,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalars(query).first()


def _count(subject: str, rule: _Rule, now: datetime) -> None:
    """Add a failure; at the rule's limit, lock this scope and start counting again.

    The row is created with INSERT … ON CONFLICT DO NOTHING and then read FOR UPDATE, so
    concurrent failures all count on PostgreSQL (row lock) and on SQLite (the insert takes
    the database's write lock first).
    """
    values = {"scope": rule.scope, "subject": subject, "source": rule.source}
    db.session.execute(
        upsert_insert(db.session)(LoginThrottle)
        .values(failures=0, lockouts=0, **values)
        .on_conflict_do_nothing()
    )
    row = _row(subject, rule, lock=True)
    if row.last_failure_at is not None and now - row.last_failure_at > MEMORY:
        row.failures, row.lockouts = 0, 0
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= rule.max_failures:
        row.lockouts += 1
        row.failures = 0
        row.locked_until = now + _lockout(row.lockouts if rule.grows else 1)


def _lockout(count: int) -> timedelta:
    base = timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    return min(base * 2 ** min(count - 1, 16), MEMORY)
