"""The Celery application. The beat schedule lives in ``liaison/schedule.py``."""

import os
from collections.abc import Mapping
from functools import cached_property

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings.dev")


class CelerySettings(Mapping):
    """The ``CELERY_*`` settings as a plain dict, read from Django's settings when Celery first
    needs its configuration. Celery looks each setting up under two names on every task it
    queues; read through Django's settings object, every name that is not set cost an exception
    (a fifth of the time to queue a task). Settings changed at run time (``override_settings``) do not
    reach Celery; ``app.conf`` changes still do."""

    @cached_property
    def _values(self) -> dict:
        return {name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")}

    def __getitem__(self, name):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


app = Celery("liaison")
app.config_from_object(CelerySettings(), namespace="CELERY")
app.autodiscover_tasks()
