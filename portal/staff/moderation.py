"""Moderation queue routes."""

from portal.staff import bp  # noqa: F401
