"""Authorization in one place: who may do what to which appeal.

Every staff view and API call asks ``ensure_can`` before acting; a refusal raises
Forbidden (HTTP 403) before anything is written.
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.models import Appeal, StaffRole, StaffUser
from portal.services.core import Forbidden

#: action -> roles allowed to perform it (service staff also need ownership of the appeal)
ACTION_ROLES: dict[str, frozenset[StaffRole]] = {
    "moderate": frozenset({StaffRole.MODERATOR, StaffRole.ADMIN}),
    "administer": frozenset({StaffRole.ADMIN}),
    "work_appeal": frozenset({StaffRole.SERVICE}),
    "view_inbox": frozenset({StaffRole.SERVICE}),
}


def can(user: StaffUser | None, action: str, appeal: Appeal | None = None) -> bool:
    """True when ``user`` may perform ``action`` (on ``appeal``, when given)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role not in ACTION_ROLES.get(action, frozenset()):
        return False
    if user.role is StaffRole.SERVICE and appeal is not None:
        return appeal.service_id == user.service_id
    return True


def ensure_can(user: StaffUser | None, action: str, appeal: Appeal | None = None) -> None:
    """Raise Forbidden unless ``can(user, action, appeal)``."""
    if not can(user, action, appeal):
        raise Forbidden(_("You are not allowed to do this."))
