"""Authorization in one place: who may do what to which appeal.

Every staff view and API call asks ``ensure_can`` before acting; a refusal raises
Forbidden (HTTP 403) before anything is written. Views and use cases never compare roles
or service ids themselves: they call ``can``/``ensure_can``/``inbox_service_id``. Who may
perform a staff action is declared with the action (``portal.services.actions``).
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.models import Appeal, AppealStatus, StaffRole, StaffUser
from portal.services.core import Forbidden

#: Appeals no municipal service may see or act on.
HIDDEN_STATUSES = frozenset({AppealStatus.SUBMITTED, AppealStatus.REJECTED})

_SERVICE = frozenset({StaffRole.SERVICE})

#: Permissions that are not staff actions: reading pages, administering. The actions'
#: roles are declared with the actions themselves (portal.services.actions).
BASE_ROLES: dict[str, frozenset[StaffRole]] = {
    "moderate": frozenset({StaffRole.MODERATOR, StaffRole.ADMIN}),
    "administer": frozenset({StaffRole.ADMIN}),
    "publish_news": frozenset({StaffRole.EDITOR, StaffRole.ADMIN}),
    "view_inbox": _SERVICE,
    # On one appeal: only the staff of the service the appeal is routed to.
    "work_appeal": _SERVICE,
    "view_appeal": _SERVICE,
}
_BASE_APPEAL_PERMISSIONS = frozenset({"work_appeal", "view_appeal"})


def roles_for(action: str) -> frozenset[StaffRole]:
    """The roles allowed ``action``: a base permission, or a registered staff action."""
    if action in BASE_ROLES:
        return BASE_ROLES[action]
    from portal.services.actions import roles_allowed  # the registry (imports use cases)

    return roles_allowed(action) or frozenset()


def needs_appeal(action: str) -> bool:
    """Whether ``action`` only makes sense on a given appeal (asking without one: refused)."""
    if action in _BASE_APPEAL_PERMISSIONS:
        return True
    from portal.services.actions import ACTIONS, APPEAL

    registered = ACTIONS.get(action)
    return registered is not None and registered.target == APPEAL


def can(user: StaffUser | None, action: str, appeal: Appeal | None = None) -> bool:
    """True when ``user`` may perform ``action`` (on ``appeal``, when given)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role not in roles_for(action):
        return False
    if needs_appeal(action) and appeal is None:
        return False
    if user.role is StaffRole.SERVICE:
        if user.service_id is None:
            return False
        if appeal is not None:
            # Routed to the user's service, and past moderation (services never see
            # appeals that are waiting for moderation or were rejected).
            return appeal.service_id == user.service_id and appeal.status not in HIDDEN_STATUSES
    return True


def ensure_can(user: StaffUser | None, action: str, appeal: Appeal | None = None) -> None:
    """Raise Forbidden unless ``can(user, action, appeal)``."""
    if not can(user, action, appeal):
        raise Forbidden(_("You are not allowed to do this."))


def inbox_service_id(user: StaffUser | None) -> int:
    """The one service whose appeals ``user`` may list (Forbidden for everybody else)."""
    ensure_can(user, "view_inbox")
    return user.service_id  # type: ignore[union-attr]
