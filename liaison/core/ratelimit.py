"""Sliding-window counters in the cache (Redis in production), shared by all web processes.

A window of W seconds is kept as SLOTS + 1 counters of W / SLOTS seconds each; a hit is allowed
if the counters that cover the last W seconds (and up to one slot more) hold fewer than the
limit. So "10 per hour" never lets more than 10 through in any 60 minutes — a fixed hour lets
20 through across its boundary, and a counter whose expiry moves on every hit lets more.
Refused hits are not counted: a client that keeps knocking is not locked out longer for it.

If the cache cannot be reached the limiter lets the request through and logs it: losing a
real enterprise's request is worse than letting a flood through for the minutes Redis is down.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache

log = logging.getLogger(__name__)

SLOTS = 12


def _slots(key: str, window: int, now: float) -> tuple[str, list[str], int]:
    size = max(window // SLOTS, 1)
    current = int(now // size)
    span = -(-window // size)  # slots that cover the window, plus the partial current one
    keys = [f"rl:{key}:{size}:{n}" for n in range(current - span, current + 1)]
    return keys[-1], keys[:-1], size * (span + 1)


def _incr(bucket: str, ttl: int) -> int:
    if cache.add(bucket, 1, ttl):
        return 1
    try:
        value = cache.incr(bucket)
    except ValueError:  # the slot expired between add and incr
        cache.add(bucket, 1, ttl)
        return 1
    _keep_expiry(bucket, ttl)
    return value


def _keep_expiry(bucket: str, ttl: int) -> None:
    if type(caches["default"]).incr is BaseCache.incr:  # a get-then-set incr (file cache) resets the expiry
        cache.touch(bucket, ttl)


def allow(key: str, limit: int, window: int = 3600, *, now: float | None = None) -> bool:
    """Count one hit for ``key`` unless ``limit`` hits already fall in the last ``window``
    seconds; True if counted (allowed). Safe under concurrency: the hit is counted first and
    taken back if it went over, so two processes never both take the last place."""
    now = time.time() if now is None else now
    current, previous, ttl = _slots(key, window, now)
    try:
        mine = _incr(current, ttl)
        earlier = sum(v for v in cache.get_many(previous).values() if isinstance(v, int))
        if earlier + mine <= limit:
            return True
        cache.decr(current)
        _keep_expiry(current, ttl)
        return False
    except Exception:  # noqa: BLE001 — any cache failure must not turn away a request
        log.warning("rate limiter cache unavailable; allowing %s", key, exc_info=True)
        return True


# ``allow`` for several limits in one round trip: the same counting, in order, stopping at the
# first refusal (its hit taken back; the limits before it keep theirs, as calls of ``allow`` in
# turn). KEYS: per limit, its earlier slots then its current one; ARGV: per limit, its number of
# keys, the limit and the slots' time to live.
_ALLOW_ALL = """
local k = 1
for a = 1, #ARGV, 3 do
  local n, limit, ttl = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local current = KEYS[k + n - 1]
  local mine = redis.call('INCR', current)
  if mine == 1 then redis.call('EXPIRE', current, ttl) end
  local earlier = 0
  for j = k, k + n - 2 do
    earlier = earlier + (tonumber(redis.call('GET', KEYS[j])) or 0)
  end
  if earlier + mine > limit then
    redis.call('DECR', current)
    return 0
  end
  k = k + n
end
return 1
"""


def allow_all(limits: list[tuple[str, int]], window: int = 3600, *, now: float | None = None) -> bool:
    """``allow`` for each ``(key, limit)`` in turn, stopping at the first refused; True if all
    were counted. On Redis one round trip (a script) instead of three per limit; fails open."""
    backend = caches["default"]
    if not hasattr(backend, "run_script"):
        return all(allow(key, limit, window, now=now) for key, limit in limits)
    now = time.time() if now is None else now
    keys, args = [], []
    for key, limit in limits:
        current, previous, ttl = _slots(key, window, now)
        keys += [*previous, current]
        args += [len(previous) + 1, limit, ttl]
    try:
        return bool(backend.run_script(_ALLOW_ALL, keys, args))
    except Exception:  # noqa: BLE001 — any cache failure must not turn away a request
        log.warning("rate limiter cache unavailable; allowing %s", [key for key, _ in limits], exc_info=True)
        return True


def count(key: str, window: int = 3600, *, now: float | None = None) -> int:
    """Hits counted for ``key`` in the last ``window`` seconds (0 if the cache cannot be reached)."""
    now = time.time() if now is None else now
    current, previous, _ttl = _slots(key, window, now)
    try:
        return sum(v for v in cache.get_many([*previous, current]).values() if isinstance(v, int))
    except Exception:  # noqa: BLE001 — same reasoning as allow()
        return 0


def client_ip(request) -> str:
    """The client's address; behind ``NUM_PROXIES`` trusted proxies, taken from X-Forwarded-For.

    Every limit keys on this (logins on every path, public filing, codes): a client chooses its
    own X-Forwarded-For, so only the entry the last trusted proxy added is believed."""
    proxies = settings.NUM_PROXIES
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def reset(key: str, window: int = 3600, *, now: float | None = None) -> None:
    """Forget the hits counted for ``key`` (e.g. failed logins once the password was reset)."""
    now = time.time() if now is None else now
    current, previous, _ttl = _slots(key, window, now)
    try:
        cache.delete_many([*previous, current])
    except Exception:  # noqa: BLE001 — same reasoning as allow()
        log.warning("rate limiter cache unavailable; %s not reset", key)
