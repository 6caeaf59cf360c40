"""The cache-backed pieces against the real Redis that production uses."""

import pytest
from django.conf import settings

from liaison.core import ratelimit

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL=redis://…"),
]


def test_cache_and_broker_use_redis():
    assert settings.CACHES["default"]["BACKEND"] == "liaison.core.cache.ResilientRedisCache"
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL


def test_rate_limit_counts_in_redis_shared_by_all_processes():
    import redis

    for _ in range(3):
        assert ratelimit.allow("test:shared", 3)
    assert not ratelimit.allow("test:shared", 3)
    raw = redis.Redis.from_url(settings.REDIS_URL)
    keys = [k for k in raw.scan_iter("*rl:test:shared*")]
    assert len(keys) == 1 and int(raw.get(keys[0])) == 3  # the refused hit is not counted


def test_limiter_lets_requests_through_when_the_cache_is_unreachable(settings):
    # Changing CACHES resets Django's cache handler; nothing listens on port 1.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert ratelimit.allow("test:down", 1)  # a reachable cache would refuse this second hit
    assert ratelimit.allow("test:down", 1)


def test_one_redis_client_serves_every_cache_call(monkeypatch):
    """Django's backend built a client for each call (~0.3 ms of Python, four per submission)."""
    import redis
    from django.core.cache import cache

    built = []
    real = redis.Redis.__init__
    monkeypatch.setattr(redis.Redis, "__init__", lambda self, *a, **k: built.append(1) or real(self, *a, **k))
    cache.set("test:one-client", 1)
    built.clear()
    for _ in range(3):
        assert cache.get("test:one-client") == 1
        assert ratelimit.allow_all([("test:one-client-limit", 100)])
    assert built == []


def test_a_script_is_kept_once_whatever_the_client_of_the_call():
    """The scripts kept for the rate limits are kept by source, whatever client ran them (keyed
    by client, they kept every client alive: a worker's memory grew with each submission)."""
    from django.core.cache import cache

    for _ in range(20):
        assert ratelimit.allow_all([("test:scripts", 1000)])
    assert len(cache._scripts) == 1


def test_one_redis_client_sends_every_task_until_the_pool_is_replaced(monkeypatch):
    """kombu's Redis channel built a client for each message (~⅙ of queueing a task);
    ``liaison.core.broker`` keeps one per connection pool, and a new one when kombu replaces
    the pool (after a fork or a lost connection)."""
    import uuid

    import redis

    from liaison.celery import app

    queue = f"test-broker-{uuid.uuid4().hex[:8]}"
    raw = redis.Redis.from_url(settings.REDIS_URL)
    built = []
    real = redis.Redis.__init__
    monkeypatch.setattr(redis.Redis, "__init__", lambda self, *a, **k: built.append(1) or real(self, *a, **k))
    try:
        with app.connection_for_write() as conn:
            assert type(conn.transport).__module__ == "liaison.core.broker"
            app.send_task("liaison.never-run", connection=conn, queue=queue)  # opens the channel
            first = len(built)
            for sent in range(2, 5):
                app.send_task("liaison.never-run", connection=conn, queue=queue)
                assert raw.llen(queue) == sent
            assert len(built) == first
            conn.default_channel._disconnect_pools()
            for sent in range(5, 7):
                app.send_task("liaison.never-run", connection=conn, queue=queue)
                assert raw.llen(queue) == sent
            assert len(built) == first + 1
    finally:
        raw.delete(queue)
