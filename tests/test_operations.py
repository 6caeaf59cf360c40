"""Faults and operations against the real services: Redis going away, database connections
dropped, a job killed half-way, the production processes, backup and restore."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from liaison.celery import app
from liaison.core.models import Notification
from liaison.core.notifications import deliver_due
from petitions.models import Petition, PetitionEvent

from .factories import PetitionFactory

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL shared with subprocesses: set DATABASE_URL"
)
needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def shared_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def form(world, **extra):
    return {
        "enterprise": world.enterprise.pk,
        "contact_name": "李四",
        "contact_phone": "13812345678",
        "category": "transport",
        "title": "通勤班车不足",
        "content": "早晚高峰班次少。",
        "submission_key": str(uuid.uuid4()),
        "website": "",
        **extra,
    }


def reset_broker_pool():
    """Drop the app's broker connections so the next publish connects to the current broker_url."""
    from kombu import pools

    pools.reset()  # kombu's shared connection and producer pools, keyed by broker address
    app._pool = None
    app.amqp._producer_pool = None


class RedisServer:
    """A redis-server of the test's own on a spare port, to stop and start at will."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=1).close() is None)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@needs_redis
@pytest.mark.redis
@pytest.mark.skipif(not os.path.exists("/usr/bin/redis-server"), reason="needs the redis-server program")
@pytest.mark.django_db(transaction=True)
def test_redis_down_the_form_still_accepts_and_messages_go_out_when_it_is_back(client, world, settings):
    redis = RedisServer()
    redis.start()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url}}
    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, redis.url
    reset_broker_pool()
    try:
        assert client.post(f"/s/{world.point.qr_token}/", form(world)).status_code == 302
        redis.stop()
        started = time.monotonic()
        response = client.post(f"/s/{world.point.qr_token}/", form(world, title="Redis 停机时提交"))
        assert response.status_code == 302 and time.monotonic() - started < 15
        petition = Petition.objects.get(title="Redis 停机时提交")
        pending = Notification.objects.filter(key__startswith=f"new-request:{petition.pk}:")
        assert pending.exists() and not pending.exclude(status="pending").exists()
        redis.start()
        # What beat's "deliver-notifications" runs once the broker is reachable again.
        deliver_due()
        assert not Notification.objects.exclude(status="sent").exists()
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, broker
        reset_broker_pool()
        if redis.process.poll() is None:
            redis.stop()


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_killed_half_way_is_finished_once_by_the_next_run(world, settings):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from petitions.escalation import escalation_scan

    for _ in range(35):
        PetitionFactory(point=world.point, now=dt.datetime(2026, 9, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
    # A process that dies abruptly (os._exit, as under SIGKILL) inside its third batch, while
    # that batch records its messages.
    script = (
        "import os, django; django.setup()\n"
        "from petitions import escalation\n"
        "batches = {'n': 0}\n"
        "real_batch, real_notify = escalation.escalate_batch, escalation.notify_select\n"
        "def counting(*a, **k):\n"
        "    batches['n'] += 1\n"
        "    return real_batch(*a, **k)\n"
        "def dying(*a, **k):\n"
        "    if batches['n'] == 3: os._exit(137)\n"
        "    return real_notify(*a, **k)\n"
        "escalation.escalate_batch, escalation.notify_select = counting, dying\n"
        "escalation.escalation_scan()\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings.test",
        "DATABASE_URL": shared_database_url(),
        "ESCALATION_BATCH": "10",
        "CELERY_EAGER": "true",
    }
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 137
    escalated = Petition.objects.filter(escalation_level__gt=0).count()
    assert escalated == 20  # two whole batches committed; the one cut short rolled back
    escalation_scan()
    assert Petition.objects.filter(escalation_level=3).count() == 35
    for petition in Petition.objects.all():
        assert PetitionEvent.objects.filter(petition=petition, action="escalate").count() == 1


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_escalation_drains_escalate_each_request_once(world, settings):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from petitions.escalation import escalation_scan

    shanghai = ZoneInfo("Asia/Shanghai")
    for day in (1, 20):  # long overdue (level 3), and a few days overdue (level 1 or 2)
        for _ in range(15):
            PetitionFactory(point=world.point, now=dt.datetime(2026, 11, day, 9, tzinfo=shanghai))
    settings.ESCALATION_WORKERS, settings.ESCALATION_BATCH = 3, 2
    raised = escalation_scan(now=dt.datetime(2026, 11, 25, 10, tzinfo=shanghai))
    assert sum(raised.values()) == 30 and raised[3] == 15
    for petition in Petition.objects.all():
        assert PetitionEvent.objects.filter(petition=petition, action="escalate").count() == 1
    assert escalation_scan(now=dt.datetime(2026, 11, 25, 11, tzinfo=shanghai)) == {3: 0, 2: 0, 1: 0}


@needs_postgres
@needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_procfile_runs_the_portal_in_production_mode_and_survives_a_database_restart(world, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings.prod",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SMS_ALLOW_DEV_BACKEND": "true",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": shared_database_url(),
        "VAR_DIR": str(tmp_path),
        "PORT": str(port),
        "BIND": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1",
        "LOG_FORMAT": "json",
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    honcho = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "-f", "Procfile", "start", "web", "worker", "beat"],
        cwd=ROOT,
        env={**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: urllib.request.urlopen(f"{base}/healthz", timeout=3).status == 200, timeout=60)
        page = urllib.request.urlopen(f"{base}/p/{world.point.code}/", timeout=5)
        assert page.status == 200 and "Content-Security-Policy" in page.headers
        # A database restart, as the portal's processes see it: all their connections are cut.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            ours = cursor.fetchone()[0]
        with psycopg.connect(shared_database_url().replace("postgres://", "postgresql://"), autocommit=True) as admin:
            cut = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
                [ours],
            ).fetchone()[0]
        assert cut >= 1
        for _ in range(4):  # each of the web processes meets its dead connection and reconnects
            assert urllib.request.urlopen(f"{base}/p/{world.point.code}/", timeout=5).status == 200
        assert urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200
        with pytest.raises(urllib.error.HTTPError):  # logged by django.request, as JSON
            urllib.request.urlopen(f"{base}/no-such-page/", timeout=5)
    finally:
        os.killpg(honcho.pid, signal.SIGINT)
        try:
            output, _ = honcho.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            output, _ = honcho.communicate()
    assert "Traceback" not in output, output[-3000:]
    assert '"logger": "django.request"' in output  # structured (JSON) logs


@needs_postgres
@pytest.mark.postgres
@pytest.mark.skipif(not os.path.exists("/usr/bin/pg_dump"), reason="needs pg_dump and pg_restore")
@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_give_the_same_data(tmp_path):
    call_command("load_demo", stdout=io.StringIO())
    dump = tmp_path / "liaison.dump"
    env = {**os.environ, "DATABASE_URL": shared_database_url()}
    subprocess.run([str(ROOT / "scripts" / "backup-db"), str(dump)], env=env, check=True, capture_output=True)
    target = f"restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{target}"')
    target_url = shared_database_url().rsplit("/", 1)[0] + f"/{target}"
    try:
        subprocess.run(
            [str(ROOT / "scripts" / "restore-db"), str(dump)],
            env={**env, "DATABASE_URL": target_url},
            check=True,
            capture_output=True,
        )
        query = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {} t"
        tables = [
            "petitions_petition",
            "petitions_petitionevent",
            "deputies_person",
            "points_liaisonpoint",
            "scoring_scoreevent",
            "auth_user",
            "core_notification",
        ]
        with (
            psycopg.connect(target_url.replace("postgres://", "postgresql://")) as restored,
            connection.cursor() as live,
        ):
            for table in tables:
                live.execute(query.format(table))
                assert restored.execute(query.format(table)).fetchone() == live.fetchone(), table
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
