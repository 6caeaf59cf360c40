"""A fixed-window counter in the cache (Redis in production), shared by all web processes.

If the cache cannot be reached the limiter lets the request through and logs it: losing a
real enterprise's request is worse than letting a flood through for the minutes Redis is down.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def allow(key: str, limit: int, window: int = 3600) -> bool:
    """Count one hit for ``key``; False once more than ``limit`` hits fall in this window."""
    bucket = f"rl:{key}:{int(time.time() // window)}"
    try:
        if cache.add(bucket, 1, window + 60):
            return True
        return cache.incr(bucket) <= limit
    except ValueError:  # the bucket expired between add and incr
        cache.add(bucket, 1, window + 60)
        return True
    except Exception:  # noqa: BLE001 — any cache failure must not turn away a request
        log.warning("rate limiter cache unavailable; allowing %s", key, exc_info=True)
        return True


def count(key: str, window: int = 3600) -> int:
    """Hits counted for ``key`` in the current window (0 if the cache cannot be reached)."""
    try:
        return cache.get(f"rl:{key}:{int(time.time() // window)}", 0)
    except Exception:  # noqa: BLE001 — same reasoning as allow()
        return 0


def client_ip(request) -> str:
    """The client's address; behind ``NUM_PROXIES`` trusted proxies, taken from X-Forwarded-For."""
    proxies = settings.NUM_PROXIES
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
