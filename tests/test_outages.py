"""Redis stopped or frozen (SIGSTOP) must not take pages down or hold them: a private
redis-server on port 6391, never the shared one."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
from django.core.cache import cache

from liaison.core import cache as resilient
from liaison.core import ratelimit

PORT = 6391
URL = f"redis://127.0.0.1:{PORT}/0"
TIMEOUT = 0.2  # seconds: short, so that "one timeout in all, not one per call" shows in the time

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
    pytest.mark.django_db,
]


def _listening() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", PORT)) == 0


@pytest.fixture
def redis_server(tmp_path):
    process = subprocess.Popen(
        ["redis-server", "--port", str(PORT), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _listening():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # in case a test left it frozen
            process.terminate()
            process.wait(10)


@pytest.fixture
def on_private_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "liaison.core.cache.ResilientRedisCache",
            "LOCATION": URL,
            "OPTIONS": {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT},
        }
    }
    settings.REDIS_RETRY_AFTER_S = 10
    settings.HEALTH_CHECK_TIMEOUT_MS = 800
    from liaison.celery import app

    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = URL
    app.conf.broker_transport_options = {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}
    resilient._down_until.clear()
    yield
    app.conf.broker_url, app.conf.broker_transport_options = saved
    resilient._down_until.clear()


@pytest.fixture
def frozen(redis_server):
    os.kill(redis_server.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(redis_server.pid, signal.SIGCONT)


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


PAGES = ["/p/byd/", "/p/byd/screen/", "/p/byd/screen/panel/"]


def test_pages_use_the_cache_when_redis_is_up(client, world, redis_server, on_private_redis):
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    assert cache.get(f"screen:{world.point.pk}") is not None
    assert client.get("/healthz").json()["cache"] == "ok"


def test_pages_answer_when_redis_is_stopped(client, world, redis_server, on_private_redis):
    redis_server.terminate()
    redis_server.wait(10)
    for url in PAGES:
        response, took = timed_get(client, url)
        assert response.status_code == 200 and took < 1, (url, response.status_code, took)
    assert ratelimit.allow("outage:stopped", 1) and ratelimit.allow("outage:stopped", 1)  # fails open
    response, took = timed_get(client, "/healthz")
    assert response.status_code == 503 and took < 1.5
    body = response.json()
    assert body["database"] == "ok" and body["cache"] == "unavailable" and body["broker"] != "ok"


def test_pages_answer_in_bounded_time_when_redis_is_frozen(client, world, redis_server, on_private_redis, frozen):
    started = time.monotonic()
    for url in PAGES:
        response, took = timed_get(client, url)
        assert response.status_code == 200 and took < 1, (url, took)
    # One socket timeout in all, not one per cache call: the process leaves Redis alone after it.
    assert time.monotonic() - started < 1
    assert ratelimit.allow("outage:frozen", 1) and ratelimit.allow("outage:frozen", 1)
    response, took = timed_get(client, "/healthz")
    assert response.status_code == 503 and took < 1.5, took
    body = response.json()
    assert body["database"] == "ok" and body["cache"] in ("timeout", "unavailable") and body["broker"] != "ok"


def test_the_cache_is_used_again_once_redis_is_back(client, world, redis_server, on_private_redis, settings):
    settings.REDIS_RETRY_AFTER_S = 0
    os.kill(redis_server.pid, signal.SIGSTOP)
    try:
        assert client.get("/p/byd/").status_code == 200
    finally:
        os.kill(redis_server.pid, signal.SIGCONT)
    cache.set("back", 1, 30)
    assert cache.get("back") == 1


def test_production_settings_give_every_redis_client_timeouts():
    import json
    import sys

    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.CACHES['default'], s.CELERY_BROKER_TRANSPORT_OPTIONS]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings.test",
        "REDIS_URL": URL,
        "REDIS_SOCKET_TIMEOUT_MS": "700",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    cache_conf, broker_options = json.loads(out)
    assert cache_conf["BACKEND"] == "liaison.core.cache.ResilientRedisCache"
    assert cache_conf["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.7}
    assert broker_options["socket_timeout"] == 0.7 and broker_options["socket_connect_timeout"] == 0.5


def test_queueing_a_task_gives_up_in_bounded_time_when_redis_is_frozen(redis_server, on_private_redis, frozen):
    from django.conf import settings

    from liaison.celery import app

    started = time.monotonic()
    with app.connection_for_write() as conn, pytest.raises(Exception) as refused:  # noqa: B017 — any refusal
        app.send_task("liaison.never-run", connection=conn, retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY)
    assert time.monotonic() - started < 3, refused.value
