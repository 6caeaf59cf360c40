"""/healthz: is the database, the cache and the broker reachable? 200 if all are, else 503."""

import logging

from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

log = logging.getLogger(__name__)


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not keep a value")


def _broker():
    # The project's Celery app, configured at start-up (liaison/celery.py), reached without
    # importing the project package from the floor.
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@never_cache
def health(request):
    checks = {}
    for name, check in (("database", _database), ("cache", _cache), ("broker", _broker)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 — every failure is reported, none raised
            log.warning("health check %s failed: %s", name, exc)
            checks[name] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
