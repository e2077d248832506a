"""Staff sign-in and sessions.

Passwords are hashed with werkzeug's scrypt. Failed attempts are throttled per e-mail and
source (portal.services.login_throttle) the same way whether or not the account exists:
the same answers, after the same number of attempts, with one password hash checked per
attempt that is not held back. Sessions carry the account's ``session_version``
(``StaffUser.get_id``); ``end_sessions`` raises it, which ends every session of the
account at once.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models import StaffUser, utcnow
from portal.services import login_throttle
from portal.services.core import ServiceError, transaction
from portal.services.login_throttle import LoginSource

__all__ = [
    "LoginFailed",
    "LoginSource",
    "LoginThrottled",
    "authenticate",
    "end_sessions",
    "log_out",
    "set_password",
]

#: Checked when the e-mail is unknown, so that both cases take the same time: a scrypt
#: hash with werkzeug's default parameters (as ``hash_password`` makes; a test keeps them
#: the same), written out rather than computed at import, which took 0.1 s and 32 MB of
#: scrypt memory in every process that imports this module.
_DUMMY_HASH = (
    "scrypt:32768:8:1$eYyKcXDhppcvOevh$d9112219bd4424115b4eef61db2ef8f79a2a7b05a4c720d73748229ab0"
    "4481c6ad8c4d17671a690ef9efc839a5ca538b07001962a54dc864ad06ad39212009e6"
)


class LoginFailed(ServiceError):
    """Wrong e-mail or password, or a disabled account (one message for all)."""

    status_code = 401


class LoginThrottled(ServiceError):
    """Too many failures of this e-mail from this source: wait ``retry_after`` seconds."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            _(
                "Too many failed attempts. Try again in %(minutes)s min, or sign in from a "
                "browser you have used before.",
                minutes=minutes,
            )
        )
        self.retry_after = retry_after


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default method)."""
    return generate_password_hash(password)


def authenticate(
    email: str, password: str, source: LoginSource, *, now: datetime | None = None
) -> StaffUser:
    """The active staff account with these credentials, or LoginFailed / LoginThrottled.

    A held-back attempt checks no password at all (known or unknown e-mail alike); a
    failure is counted in its own transaction; a success clears its source's counters.
    """
    now = now or utcnow()
    email = email.strip().lower()
    wait = login_throttle.retry_after(email, source, now)
    if wait is not None:
        raise LoginThrottled(wait)
    user = db.session.scalars(select(StaffUser).where(func.lower(StaffUser.email) == email)).first()
    matches = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not matches or not user.active:
        login_throttle.record_failure(email, source, now)
        raise LoginFailed(_("Wrong e-mail or password."))
    login_throttle.forgive(email, source)
    return user


def end_sessions(account: StaffUser) -> None:
    """End every session of ``account`` (in the caller's transaction): logout, a password
    reset and deactivation call it."""
    if account.id is None:
        return  # a new account has no sessions yet
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == account.id)
        .values(session_version=StaffUser.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(account, ["session_version"])


def log_out(account: StaffUser) -> None:
    """Sign ``account`` out everywhere (one transaction)."""
    with transaction():
        end_sessions(account)


def set_password(account: StaffUser, password: str) -> None:
    """A new password (in the caller's transaction): every session of the account ends and
    the failed-login counters of its e-mail are forgotten."""
    account.password_hash = hash_password(password)
    end_sessions(account)
    login_throttle.clear(account.email)
