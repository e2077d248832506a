"""Service performance pages (/performance and its JSON/CSV twins)."""

from portal.public import bp  # noqa: F401
