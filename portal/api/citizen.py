"""Citizen API: submit an appeal, rate an answer."""

from portal.api import bp  # noqa: F401
