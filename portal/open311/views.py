"""Routes of the open311 blueprint."""

from portal.open311 import bp  # noqa: F401
