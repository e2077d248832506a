"""Citizen routes: appeal form, receipt, tracking and rating page, photos."""

from portal.citizen import bp  # noqa: F401
