"""Staff sign-in: password check with per-account lockout after repeated failures.

Passwords are hashed with werkzeug's scrypt. Per-client throttling is the limiter's job
(LOGIN_RATE_LIMIT on the login POST); this module throttles per account: after
LOGIN_MAX_FAILURES wrong passwords in a row the account is locked for
LOGIN_LOCKOUT_MINUTES, even for the right password.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models import StaffUser, utcnow
from portal.services.core import ServiceError, transaction

#: Checked when the e-mail is unknown, so that both cases take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0123456789")


class LoginFailed(ServiceError):
    """Wrong e-mail or password, or a locked/disabled account (one message for all)."""

    status_code = 401


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default method)."""
    return generate_password_hash(password)


def authenticate(email: str, password: str, *, now: datetime | None = None) -> StaffUser:
    """The active staff account with these credentials, or LoginFailed.

    A failure is recorded on the account (in its own transaction); a success clears the
    counter. The message never tells whether the e-mail exists.
    """
    now = now or utcnow()
    email = email.strip().lower()
    user = db.session.scalars(select(StaffUser).where(func.lower(StaffUser.email) == email)).first()
    generic = LoginFailed(_("Wrong e-mail or password."))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise generic
    if user.locked_until is not None and user.locked_until > now:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginFailed(
            _("Too many failed attempts. This account is locked for a while; try again later.")
        )
    if not check_password_hash(user.password_hash, password):
        _record_failure(user, now)
        raise generic
    if not user.active:
        raise generic
    if user.failed_logins or user.locked_until:
        with transaction():
            user.failed_logins = 0
            user.locked_until = None
    return user


def _record_failure(user: StaffUser, now: datetime) -> None:
    """Count the failure atomically (concurrent attempts all count); lock at the limit."""
    config = current_app.config
    with transaction():
        db.session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(failed_logins=StaffUser.failed_logins + 1)
        )
        db.session.refresh(user)
        if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
            user.failed_logins = 0
