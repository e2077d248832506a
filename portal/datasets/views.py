"""Routes of the datasets blueprint."""

from portal.datasets import bp  # noqa: F401
