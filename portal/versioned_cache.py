"""Figures computed from the whole public record, cached per version of it.

Some figures take seconds at 1M appeals: /performance's aggregates, the row count of
every dataset on /datasets/ and in the catalogues. Each is cached under a *version* of
the data it was computed from (e.g. the newest status event: every public change appends
one), so a change invalidates it at once. Recomputing on the request that first sees a new
version would make a busy portal slow most of the time, so after a change the previous
figures are served while new ones are computed in a thread of this process, one at a time
across every process that shares the cache (a lock taken with the cache's ``add``).

Only the first request for a key with no previous figures (a new window, a new
deployment, a day after the last computation) computes them itself. Under
TESTING, or with ``BACKGROUND_REFRESH = False``, requests compute new figures themselves,
and concurrent ones get the previous figures while one computes (single flight).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app

T = TypeVar("T")

#: How long figures stay cached for their version (bounds staleness when a version
#: misses a change, e.g. reference data or "overdue now" passing midnight unseen).
CACHE_TTL_SECONDS = 600
#: How long the previous figures may be served while new ones are computed.
LATEST_TTL_SECONDS = 24 * 3600
#: How long a computation may hold the single-flight lock (then another request may try).
COMPUTE_LOCK_SECONDS = 120


def namespace(prefix: str) -> str:
    """``prefix`` made this database's own: one database's figures never meet another's
    in a shared Redis (the test suite also gives each app its own RATELIMIT_KEY_PREFIX,
    reused here)."""
    uri = current_app.config.get("SQLALCHEMY_DATABASE_URI", "")
    digest = hashlib.sha1(uri.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{prefix}:{digest}{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}"


def current_or_previous(
    base: str,
    version: Callable[[], str],
    produce: Callable[[], T],
    *,
    thread_name: str = "figures-refresh",
) -> tuple[str, T]:
    """``(key, value)``: the figures of the data's current ``version()`` cached under
    ``f"{base}:{version}"``, else the previous figures while a thread computes the new ones
    with ``produce()`` (see the module's docstring). ``produce`` runs in an application
    context and must return a value the cache can store (not None)."""
    cache = _cache()
    key = f"{base}:{version()}"
    value = cache.get(key)
    if value is not None:
        return key, value
    latest, lock = cache.get(f"{base}:latest"), f"{base}:computing"
    background = current_app.config.get("BACKGROUND_REFRESH", not current_app.testing)
    if latest is not None and background:
        if cache.add(lock, "1", COMPUTE_LOCK_SECONDS):
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            threading.Thread(
                target=_refresh, args=(app, base, version, produce), name=thread_name,
                daemon=True,
            ).start()  # fmt: skip
        return latest
    if not cache.add(lock, "1", COMPUTE_LOCK_SECONDS) and latest is not None:
        return latest
    try:
        return _store(key, base, produce())
    finally:
        cache.delete(lock)


def cached_text(key: str, produce: Callable[[], str]) -> str:
    """A derived output (rendered figures, JSON) cached next to the figures it shows.

    ``key`` must start with the key ``current_or_previous`` returned, so it expires with
    those figures.
    """
    cache = _cache()
    text = cache.get(key)
    if text is None:
        text = produce()
        cache.set(key, text, CACHE_TTL_SECONDS)
    return text


def _store(key: str, base: str, value: T) -> tuple[str, T]:
    cache = _cache()
    cache.set(key, value, CACHE_TTL_SECONDS)
    cache.set(f"{base}:latest", (key, value), LATEST_TTL_SECONDS)
    return key, value


def _refresh(app: Flask, base: str, version, produce) -> None:
    """Compute the figures of the newest version in a thread of its own."""
    from portal.extensions import db

    with app.app_context():
        try:
            _store(f"{base}:{version()}", base, produce())
        except Exception:  # noqa: BLE001 - logged; the next request tries again
            app.logger.exception("figures of %s: background refresh failed", base)
        finally:
            _cache().delete(f"{base}:computing")
            db.session.remove()


def _cache():
    """The application's cache (Flask-Caching: Redis when configured, else files shared by
    the workers of this machine: ``portal.caching``)."""
    from portal.extensions import cache

    return cache
