"""Work handed to the Celery workers by task name, so that a module never imports the tasks
module that imports it.

Queueing is a hint, never the only record: every caller keeps the work on a row (a pending
message, a delivery) that a periodic scan picks up, so a broker outage delays work and loses
none of it.
"""

import functools
import logging
from importlib import import_module
from importlib.util import find_spec

from celery import current_app
from django.apps import apps

log = logging.getLogger(__name__)


@functools.cache
def _tasks():
    """Every app's tasks, registered once per process: a web process imports them only when
    asked (the worker does at start-up). The apps' ``tasks`` modules are imported directly, not
    through Celery's ``import_default_modules``, whose Django fix-up runs every system check
    (and imports Pillow for them) in the web process that queues its first task."""
    for config in apps.get_app_configs():
        if config.name.startswith("django.") or find_spec(f"{config.name}.tasks") is None:
            continue
        import_module(f"{config.name}.tasks")
    return current_app.tasks


def enqueue(task: str, *args) -> bool:
    """Queue the task named ``task`` with ``args`` (run in-process where tasks are eager, as in
    tests); False, with a warning, if the broker cannot be reached. An unknown name raises."""
    job = _tasks()[task]
    try:
        job.delay(*args)
    except Exception:  # noqa: BLE001 — the row stays pending; the periodic scan does the work
        log.warning("could not queue %s%s; the periodic scan will pick it up", task, args, exc_info=True)
        return False
    return True
