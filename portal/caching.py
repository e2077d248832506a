"""The backends of the figures cache (``portal.versioned_cache``): one per deployment kind.

``ResilientRedisCache`` (with Redis: every worker of every host) is Flask-Caching's Redis
backend made an accelerator: when Redis is down, a miss. A failed read is a miss, a failed
write is skipped, and a failed ``add`` (the single-flight lock of expensive figures)
answers "yours": without Redis, every process computes for itself instead of waiting for a
lock nobody can take. Each command gives up after REDIS_TIMEOUT seconds (see
``portal.redis_link``).

``SharedFileCache`` (without Redis: every worker of one machine, through CACHE_DIR) is
Flask-Caching's file backend: the figures one worker computed serve the others, and the
previous figures outlive a restart, so a new process serves them while it recomputes
instead of making its first visitor wait (a COUNT of every dataset took 5 s at 1M appeals).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import wraps

from flask_caching.backends.filesystemcache import FileSystemCache
from flask_caching.backends.rediscache import RedisCache

log = logging.getLogger(__name__)

#: Files the shared file cache keeps before it prunes the expired and then the oldest
#: (a public change makes a few new ones: the figures are cached per version of the data).
CACHE_FILES = 2000

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


class SharedFileCache(FileSystemCache):
    """Flask-Caching's file cache whose ``add`` sees expiry.

    cachelib's ``add`` refuses a key whose file exists, expired or not, so the lock of a
    process killed while computing (``portal.versioned_cache``) would be held for ever.
    Here an expired key is free. Two processes may both take a free key in the same
    instant: both then compute, which the lock only makes rare, never wrong.
    """

    def add(self, key: str, value, timeout: int | timedelta | None = None) -> bool:
        if self.has(key):
            return False
        return self.set(key, value, timeout)
