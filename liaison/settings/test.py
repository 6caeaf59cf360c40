"""The test suite: whatever DATABASE_URL/REDIS_URL say (SQLite and no Redis by default)."""

from .base import *  # noqa: F403
from .base import REDIS_URL, env_bool

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Unit tests run tasks in-process; the worker integration test sends to the real broker instead.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", True)
# Test data lives in a transaction other connections cannot see; parallel drains are tested
# on their own in tests/test_operations.py.
ESCALATION_WORKERS = 1
DEMO_MODE = True
SMS_BACKEND = "liaison.core.sms.OutboxSmsBackend"  # tests read liaison.core.sms.outbox
