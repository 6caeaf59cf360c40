"""The Redis cache, made optional: when Redis is down or frozen, pages compute what they would
have read from it instead of failing or waiting.

Every call has the connect and socket timeouts of the settings (REDIS_CONNECT_TIMEOUT_MS,
REDIS_SOCKET_TIMEOUT_MS). After a failure this process leaves Redis alone for
REDIS_RETRY_AFTER_S seconds, so a page that reads the cache five times waits for one timeout,
not five, and the next pages wait for none. Reads then miss (``get_or_set`` computes the value),
writes are dropped, and counters raise ``CacheUnavailable`` so the rate limiter can let the
request through (its rule: fail open).
"""

import logging
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger(__name__)

# location → time.monotonic() until which Redis is not tried again in this process
_down_until: dict[str, float] = {}


class CacheUnavailable(Exception):
    """The cache could not count; callers that must count decide what that means."""


class ReusedClients(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` for every call (its tables of response
    callbacks: ~0.3 ms of Python, four times per submission); one per connection pool serves
    them all, as ``redis.Redis`` takes a connection from its pool for each command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients

    def _location(self) -> str:
        return ",".join(self._servers)

    def available(self) -> bool:
        return time.monotonic() >= _down_until.get(self._location(), 0.0)

    def _call(self, name, fallback, *args, **kwargs):
        if not self.available():
            return fallback
        try:
            return getattr(super(), name)(*args, **kwargs)
        except self._errors() as exc:
            _down_until[self._location()] = time.monotonic() + settings.REDIS_RETRY_AFTER_S
            log.warning("cache unavailable (%s: %s); computing without it", type(exc).__name__, exc)
            return fallback

    @staticmethod
    def _errors():
        import redis

        return (redis.exceptions.RedisError, OSError)

    def run_script(self, source: str, keys: list[str], args: list):
        """Run a Lua script on the server (one round trip) with cache keys ``keys`` (prefixed as
        every other key); CacheUnavailable when Redis cannot be reached, as ``incr``."""
        if not self.available():
            raise CacheUnavailable(source[:40])
        try:
            # A script is kept per source and run on the client of the call. (Keyed by client
            # while Django's backend built a client per call, the dict kept every one of them
            # alive: a web worker grew ~16 KB per submission.)
            client = self._cache.get_client(None, write=True)
            script = self._scripts.get(source)
            if script is None:
                script = self._scripts[source] = client.register_script(source)
            return script(keys=[self.make_and_validate_key(key) for key in keys], args=args, client=client)
        except self._errors() as exc:
            _down_until[self._location()] = time.monotonic() + settings.REDIS_RETRY_AFTER_S
            log.warning("cache unavailable (%s: %s); computing without it", type(exc).__name__, exc)
            raise CacheUnavailable(source[:40]) from exc

    @property
    def _scripts(self) -> dict:
        if "_script_cache" not in self.__dict__:
            self.__dict__["_script_cache"] = {}
        return self.__dict__["_script_cache"]

    def ping(self) -> None:
        """Ask Redis directly, whatever the last failure was (for the health check); raises."""
        self._cache.get_client(None, write=True).ping()
        _down_until.pop(self._location(), None)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._call("incr", missing, key, delta, version)
        if value is missing:
            raise CacheUnavailable(key)
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)
