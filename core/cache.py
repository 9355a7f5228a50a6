"""Django's Redis cache, made to degrade instead of failing requests when Redis is down.

Nothing Mutirão keeps in the cache is the only copy of anything: throttle counters and
short-lived values. So when Redis cannot be reached a read is a miss and a write is
dropped, with a warning in the log, and the request goes on. After a failure Redis is left
alone for `RETRY_AFTER_SECONDS`, so a Redis that hangs instead of refusing costs one
socket timeout, not one per cache call. `/health/` still reports the cache as down.

What it costs: while Redis is down the DRF throttles (login, sign-up, donations) count
nothing, so they let requests through; django-axes' lockout keeps its counts in the
database and still applies.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2.0


class DegradingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._skip_until = 0.0

    def _call(self, operation: str, fallback, *args):
        if time.monotonic() < self._skip_until:
            return fallback()
        try:
            return getattr(super(), operation)(*args)
        except self._lib.exceptions.RedisError as exc:
            self._skip_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("Cache unavailable (%s), treated as a miss: %r", operation, exc)
            return fallback()

    def add(self, key, value, timeout):
        return self._call("add", lambda: False, key, value, timeout)

    def get(self, key, default):
        return self._call("get", lambda: default, key, default)

    def set(self, key, value, timeout):
        return self._call("set", lambda: None, key, value, timeout)

    def touch(self, key, timeout):
        return self._call("touch", lambda: False, key, timeout)

    def delete(self, key):
        return self._call("delete", lambda: False, key)

    def get_many(self, keys):
        return self._call("get_many", dict, keys)

    def has_key(self, key):
        return self._call("has_key", lambda: False, key)

    def incr(self, key, delta):
        def missing():
            raise ValueError(f"Key '{key}' not found.")

        return self._call("incr", missing, key, delta)

    def set_many(self, data, timeout):
        return self._call("set_many", lambda: [], data, timeout)

    def delete_many(self, keys):
        return self._call("delete_many", lambda: None, keys)

    def clear(self):
        return self._call("clear", lambda: False)


class DegradingRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` whose Redis errors are cache misses."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = DegradingRedisCacheClient
