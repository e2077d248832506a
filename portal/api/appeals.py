"""Public read API: appeals list, one appeal, map data."""

from portal.api import bp  # noqa: F401
