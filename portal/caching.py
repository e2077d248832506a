"""Flask-Caching's Redis backend made an accelerator: when Redis is down, a miss.

A failed read is a miss, a failed write is skipped, and a failed ``add`` (the single-flight
lock of expensive figures) answers "yours": without Redis, every process computes for
itself instead of waiting for a lock nobody can take. Each command gives up after
REDIS_TIMEOUT seconds (see ``portal.redis_link``).
"""

from __future__ import annotations

import logging
from functools import wraps

from flask_caching.backends.rediscache import RedisCache

log = logging.getLogger(__name__)

#: What each operation answers when Redis fails.
_ON_FAILURE = {
    "get": None,
    "get_many": None,
    "has": False,
    "set": False,
    "set_many": [],
    "add": True,
    "delete": False,
    "delete_many": [],
    "inc": None,
    "dec": None,
    "clear": False,
}


def _forgiving(name: str, method):
    fallback = _ON_FAILURE[name]

    @wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - an outage of Redis is a cache miss
            log.warning("cache %s skipped, Redis unavailable: %s", name, exc)
            if name == "get_many":
                return [None] * len(args)
            return fallback

    return call


class ResilientRedisCache(RedisCache):
    """``RedisCache`` whose every operation survives a stopped or frozen Redis."""


for _name in _ON_FAILURE:
    setattr(ResilientRedisCache, _name, _forgiving(_name, getattr(RedisCache, _name)))
