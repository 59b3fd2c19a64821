"""The cache when Redis is configured: Redis, and a per-process local cache while Redis cannot be reached.

Rate limits and cached lists live in the cache. When Redis is refused, hangs or drops, django-redis raises on
every call (or, with ``DJANGO_REDIS_IGNORE_EXCEPTIONS``, answers None, which makes ``incr`` fail and rate limits
silently open). ``FallbackRedisCache`` instead answers from a ``LocMemCache`` of this process for
``FALLBACK_SECONDS`` and only then tries Redis again: limits become per process for that time, intake and tracking
keep working, and a hung Redis costs one short socket timeout per cool-down, not one per request. The switch is
logged as a warning at most once a minute per process, and its end once.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionInterrupted, OSError)
WARN_EVERY = 60  # seconds between two warnings of one process


class FallbackRedisCache(BaseCache):
    def __init__(self, server, params):
        super().__init__(params)
        options = dict(params.get("OPTIONS", {}))
        self.fallback_seconds = options.pop("FALLBACK_SECONDS", 30)
        # Connections made by django-redis's pool do not retry (redis-py's default without retry_on_error), so a
        # call costs at most one SOCKET_CONNECT_TIMEOUT or SOCKET_TIMEOUT.
        self._redis = RedisCache(server, {**params, "OPTIONS": options})
        self._local = LocMemCache(f"sunshine-fallback-{id(self)}", {**params, "OPTIONS": {}})
        self._down_until = 0.0
        self._warned_at = float("-inf")
        self._fell_back = False

    @property
    def using_fallback(self):
        return time.monotonic() < self._down_until

    def _call(self, name, *args, **kwargs):
        if not self.using_fallback:
            try:
                result = getattr(self._redis, name)(*args, **kwargs)
            except UNREACHABLE as exc:
                self._fall_back(exc)
            else:
                if self._fell_back:
                    self._fell_back = False
                    log.warning("Redis answers again: rate limits and cache are shared across processes again")
                return result
        return getattr(self._local, name)(*args, **kwargs)

    def _fall_back(self, exc):
        now = time.monotonic()
        self._down_until = now + self.fallback_seconds
        self._fell_back = True
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning(
                "Redis unreachable (%s: %s): this process uses its own cache and rate limits for %ss",
                type(exc).__name__,
                exc,
                self.fallback_seconds,
            )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version=version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", key, delta, version=version)

    def clear(self):
        self._local.clear()
        return self._call("clear")

    def close(self, **kwargs):
        self._redis.close(**kwargs)
