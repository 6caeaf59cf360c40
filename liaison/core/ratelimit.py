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
