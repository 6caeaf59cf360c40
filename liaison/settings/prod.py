"""Production: refuses to start without a real secret key and host list, or with SMS that go nowhere."""

from django.core.exceptions import ImproperlyConfigured

from liaison.core.sms import check_backend

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    DATABASES,
    DEMO_SECRET_KEY,
    ESCALATION_WORKERS,
    SECRET_KEY,
    SMS_ACCESS_KEY_ID,
    SMS_ACCESS_KEY_SECRET,
    SMS_ALLOW_DEV_BACKEND,
    SMS_APP_ID,
    SMS_BACKEND,
    SMS_SIGN_NAME,
    env_bool,
    env_int,
)

if not SECRET_KEY or SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("Set SECRET_KEY (at least 40 characters) for production.")
if not ALLOWED_HOSTS or ALLOWED_HOSTS == ["127.0.0.1", "localhost"]:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the portal's host names for production.")
# SMS that only land in a file would leave deputies unreminded without anyone noticing.
check_backend(
    SMS_BACKEND,
    allow_dev=SMS_ALLOW_DEV_BACKEND,
    account={
        "SMS_ACCESS_KEY_ID": SMS_ACCESS_KEY_ID,
        "SMS_ACCESS_KEY_SECRET": SMS_ACCESS_KEY_SECRET,
        "SMS_SIGN_NAME": SMS_SIGN_NAME,
        "SMS_APP_ID": SMS_APP_ID,
    },
)

# A pool of PostgreSQL connections per process (Django's psycopg pool; docs/deploy.md sizes it):
# a request takes an open, checked connection instead of opening one (~20 ms of CPU between the
# worker and PostgreSQL). A sync web worker holds one at a time; a Celery worker's escalation
# scan up to ESCALATION_WORKERS + 1. DB_POOL=false falls back to persistent connections
# (DB_CONN_MAX_AGE), e.g. behind PgBouncer in transaction mode.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
    _pool_max = env_int("DB_POOL_MAX_SIZE", ESCALATION_WORKERS + 1, minimum=1)
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not Django
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env_int("DB_POOL_MIN_SIZE", 1, minimum=0), _pool_max),
        "max_size": _pool_max,
        "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),  # seconds to wait for a free one
        "max_idle": env_int("DB_POOL_MAX_IDLE", 600, minimum=30),  # extra connections closed after
        "num_workers": 1,  # the pool's own thread that opens connections
    }

DEBUG = False
DEMO_MODE = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
