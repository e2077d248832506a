"""The public "How we protect privacy" page."""

from portal.public import bp  # noqa: F401
