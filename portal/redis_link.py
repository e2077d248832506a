"""The portal's Redis connection: optional, with bounded timeouts.

Redis accelerates (shared rate limits, caches, the job queue) but is never required to
answer a request: every command gives up after REDIS_TIMEOUT seconds, so a stopped or
frozen Redis costs a request at most about a second, and callers treat failures as
"not there".
"""

from __future__ import annotations

from flask import current_app

_KEY = "portal.redis"


def connection_options(timeout: float) -> dict:
    """redis-py options that bound every connect, read and write by ``timeout``."""
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
        "retry_on_timeout": False,
    }


def redis_client():
    """The application's Redis client, or None without REDIS_URL."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get(_KEY)
    if client is None:
        import redis

        options = connection_options(current_app.config["REDIS_TIMEOUT"])
        client = redis.Redis.from_url(url, **options)
        current_app.extensions[_KEY] = client
    return client


def redis_state() -> str:
    """ "ok", "down" or "not configured"."""
    client = redis_client()
    if client is None:
        return "not configured"
    try:
        client.ping()
    except Exception:  # noqa: BLE001 - any failure means Redis is not usable now
        return "down"
    return "ok"
