"""/healthz: is the database, the cache and the broker reachable? 200 if all are, else 503.

Each check runs in its own thread and all of them share one deadline (HEALTH_CHECK_TIMEOUT_MS):
a frozen Redis or database makes its check "timeout", the answer still comes in time, and it
says which part is down. A check left running past the deadline ends on its own socket timeout.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .workdays import calendar_warnings

log = logging.getLogger(__name__)

_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="healthz")


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this thread's own connection


def _cache():
    if hasattr(cache, "ping"):  # Redis: ask it, whatever the last failure was
        cache.ping()
        return
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not keep a value")


def _broker():
    # The project's Celery app, configured at start-up (liaison/celery.py), reached without
    # importing the project package from the floor.
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT_MS / 1000)


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


def run_checks(timeout: float) -> dict[str, str]:
    """Each check's answer, "ok", "unavailable" or "timeout", within ``timeout`` seconds."""
    futures = {name: _pool.submit(check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=timeout)
    checks = {}
    for name, future in futures.items():
        if not future.done():
            log.warning("health check %s did not answer within %.1f s", name, timeout)
            checks[name] = "timeout"
        elif future.exception() is not None:
            log.warning("health check %s failed: %s", name, future.exception())
            checks[name] = "unavailable"
        else:
            checks[name] = "ok"
    return checks


@never_cache
def health(request):
    started = time.monotonic()
    checks = run_checks(settings.HEALTH_CHECK_TIMEOUT_MS / 1000)
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    if checks["database"] == "ok":
        # Said, not failed on: a year whose official holiday schedule is missing (调休).
        body["calendar"] = [str(warning) for warning in calendar_warnings(timezone.localdate())]
    body["ms"] = round((time.monotonic() - started) * 1000)
    return JsonResponse(body, status=200 if healthy else 503)
