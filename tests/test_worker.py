"""A real Celery worker, over the real Redis, runs the scheduled tasks against the test database."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from deputies.models import ReceptionDay
from deputies.services import months_from
from liaison.celery import app
from liaison.core.models import Notification
from liaison.schedule import BEAT_SCHEDULE
from petitions.models import Petition, PetitionEvent
from points.selectors import reception_date_in_month

from .factories import PetitionFactory
from .localserver import serving

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="a worker needs a broker and a database it can share: set REDIS_URL and DATABASE_URL (PostgreSQL)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker():
    """Start a worker on a queue of its own, pointed at the test database; stop it afterwards."""
    db = connection.settings_dict
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_EAGER": "false",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "liaison",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-mingle",
            "--without-gossip",
            "--loglevel=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False  # send to the broker, for real
    yield queue
    app.conf.task_always_eager = eager
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    assert "Traceback" not in output, output


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_scheduled_tasks_run_in_a_real_worker(world, worker):
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert tasks <= set(app.tasks), "every scheduled task is registered"

    overdue = PetitionFactory(point=world.point, now=dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC))
    app.send_task("petitions.tasks.escalate_overdue", queue=worker)
    assert wait_for(lambda: Petition.objects.get(pk=overdue.pk).escalation_level == 3)
    assert PetitionEvent.objects.filter(petition=overdue, action="escalate").count() == 1

    app.send_task("deputies.tasks.generate_reception_days", queue=worker)
    today = timezone.localdate()
    # This month's day too, even when its date has passed (it is then held or marked missed).
    expected = {reception_date_in_month(world.point, m) for m in months_from(today, 3)}
    assert wait_for(
        lambda: set(ReceptionDay.objects.filter(point=world.point).values_list("date", flat=True)) == expected
    )

    assert Notification.objects.filter(key__startswith=f"escalation:{overdue.pk}:").exists()
    app.send_task("liaison.core.tasks.deliver_due_notifications", queue=worker)
    assert wait_for(lambda: not Notification.objects.exclude(status="sent").exists())

    # Re-running the scan in the worker changes nothing.
    app.send_task("petitions.tasks.escalate_overdue", queue=worker)
    app.send_task("liaison.core.tasks.deliver_due_notifications", queue=worker)
    time.sleep(2)
    assert PetitionEvent.objects.filter(petition=overdue, action="escalate").count() == 1


def test_a_real_worker_delivers_a_dispatch_once(world, worker):
    """The dispatch commits, the delivery is recorded and the drain queued through the broker;
    the worker sends it once to a receiver on 127.0.0.1, however often the drain runs."""
    from collections import Counter
    from http.server import BaseHTTPRequestHandler

    from petitions import services
    from petitions.models import Delivery, ExternalPlatform

    received = Counter()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            received[self.headers["webhook-id"]] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    default_queue, app.conf.task_default_queue = app.conf.task_default_queue, worker  # queued here → its worker
    try:
        with serving(Receiver) as server:
            platform = ExternalPlatform.objects.create(
                name="渝快政", slug="ykz", webhook_url=f"http://127.0.0.1:{server.server_port}/hook"
            )
            world.department.platform = platform
            world.department.save()
            petition = PetitionFactory(point=world.point)
            services.petition_accept(petition=petition, actor=world.deputy)
            services.petition_dispatch(petition=petition, actor=world.deputy, department=world.department)
            assert wait_for(lambda: Delivery.objects.filter(status="delivered").exists())
            for task in ("petitions.tasks.drain_deliveries", "petitions.tasks.record_missing_deliveries"):
                app.send_task(task, queue=worker)
            time.sleep(2)
            delivery = Delivery.objects.get()
            assert received == {delivery.message_id: 1}
            assert PetitionEvent.objects.filter(petition=petition, action="push").count() == 1
    finally:
        app.conf.task_default_queue = default_queue
