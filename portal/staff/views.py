"""Staff area routes: login, service inbox, actions, administration."""

from portal.staff import bp  # noqa: F401
