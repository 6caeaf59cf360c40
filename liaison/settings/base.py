"""Complete settings, grouped by concern; dev/test/prod change only what they must.

Everything deployment-specific comes from the environment (see ``.env.example``); a malformed
value stops start-up.
"""

import os
import ssl
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from liaison.core.env import env_bool, env_int, env_list, env_str
from liaison.schedule import BEAT_SCHEDULE

# --- Paths -----------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded defaults (SQLite, disk broker, cache) live here

# --- Security ----------------------------------------------------------------------------------
# Only dev/test settings may fall back to this; prod refuses it.
DEMO_SECRET_KEY = "demo-only-insecure-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0)  # trusted reverse proxies in front of the web processes
# Pages load nothing from elsewhere; scripts only from our own files (no inline script).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Staff accounts ----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "admin:index"
LOGOUT_REDIRECT_URL = "home"
# Failed logins allowed per client and account, and per client, in 15 minutes (every way to log in).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_CLIENT = env_int("LOGIN_FAILURES_PER_CLIENT", 30, minimum=1)
# One-time codes (password reset by SMS, recovering a lost link) and reset e-mails, per hour:
# per person (user name, address or number) and per client address; code tries per client.
OTP_PER_SUBJECT = env_int("OTP_PER_SUBJECT", 3, minimum=1)
OTP_PER_CLIENT = env_int("OTP_PER_CLIENT", 10, minimum=1)
OTP_VERIFY_PER_CLIENT = env_int("OTP_VERIFY_PER_CLIENT", 30, minimum=1)

# --- Applications, requests and pages ----------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "liaison.core",
    "points",
    "deputies",
    "petitions",
    "scoring",
    "liaison.portal",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so only the views' answers are compressed here (static files are already).
    "liaison.core.middleware.CompressTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "liaison.core.middleware.ChineseFirstLocaleMiddleware",
    # A body larger than REQUEST_MAX_BYTES is refused before it is read (a Chinese 413 page).
    "liaison.core.bodylimit.RequestBodyLimitMiddleware",
    # A NUL byte or a lone surrogate anywhere in a request is a 400 before any view (and any
    # database) sees it; JSON bodies of the API are checked by its parser as well.
    "liaison.core.middleware.RefuseMalformedInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "liaison.core.middleware.FriendlyNotFoundMiddleware",
]
ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liaison.core.context_processors.site",
                # The unread-messages badge in the work desk's header (templates/admin/base_site.html).
                "liaison.core.context_processors.unread_messages",
            ],
        },
    },
]
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
SITE_TITLE = _("Deputy liaison points on the industry chain")
# What the QR codes encode: the address enterprises reach from their phones.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
DEMO_MODE = False  # dev/test switch it on: demo data and a printed demo administrator

# --- Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Database ----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'liaison.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED_STATEMENTS", True):
    # The few statements compiled once that every submission runs (its point, the form's
    # look-up, the new request's messages: liaison.core.compiled) are prepared on each
    # connection after five runs; Django's own queries never are. Off behind a PgBouncer that
    # cannot keep them (docs/deploy.md).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["prepare_threshold"] = 5
    # ... and planned once: left to choose, PostgreSQL planned the look-up and the messages
    # again at every run, their plan for one point costing less than the plan for any
    # (~0.4 ms of the server's CPU per submission). Only prepared statements heed this.
    _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for the write lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The roll-ups' covering index carries its figures only on PostgreSQL; SQLite keeps the key.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and broker -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Redis away or frozen must not hold a page: every connection gives up after these times, and
# after a failure a process leaves Redis alone for REDIS_RETRY_AFTER_S (pages compute instead).
REDIS_CONNECT_TIMEOUT_MS = env_int("REDIS_CONNECT_TIMEOUT_MS", 500, minimum=1)
REDIS_SOCKET_TIMEOUT_MS = env_int("REDIS_SOCKET_TIMEOUT_MS", 1000, minimum=1)
REDIS_RETRY_AFTER_S = env_int("REDIS_RETRY_AFTER_S", 10, minimum=0)
REDIS_TIMEOUTS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_MS / 1000,
    "socket_timeout": REDIS_SOCKET_TIMEOUT_MS / 1000,
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "liaison.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "liaison",
            "OPTIONS": dict(REDIS_TIMEOUTS),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery: Redis when REDIS_URL is set, otherwise a broker on the local disk ----------------------
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# If the broker is down, give up queueing within a second or two: the row stays pending and
# the periodic scan sends it later, so a web request never hangs on Redis.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Every task: a soft limit raises inside the task (it can clean up), the hard limit replaces the
# worker process. No task may hold a worker for ever; the drains stop themselves well before these.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=2)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT = "liaison.core.broker:Transport"  # kombu's Redis transport, one client per pool
    if REDIS_URL.startswith("rediss://"):
        # TLS with the server's certificate checked, as the cache's client does (kombu only
        # reads the scheme of its own transports, and would not verify it).
        CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **REDIS_TIMEOUTS}
    CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUTS["socket_timeout"]
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUTS["socket_connect_timeout"]
else:
    _broker_dir = str(VAR_DIR / "broker")
    for _folder in ("broker", "broker-control"):
        (VAR_DIR / _folder).mkdir(exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost/"  # the host is only named, the folders are the broker
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "control_folder": str(VAR_DIR / "broker-control"),
    }
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE  # liaison/schedule.py: the whole schedule in one place
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Static files, media, uploads and request bodies -------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# static/build/site.css is built from Bootstrap (npm) and static/css by `npm run build:css`.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploads above this stay on disk while they are validated, not in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 20  # a form takes at most 4; Django allows 100
PETITION_MAX_ATTACHMENTS = 4
PETITION_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# A request body larger than every attachment allowed plus the form's fields is refused with a
# Chinese 413 page before it is read (Django only caps the non-file part, and spools files to disk).
REQUEST_MAX_BYTES = env_int(
    "REQUEST_MAX_BYTES",
    PETITION_MAX_ATTACHMENTS * PETITION_MAX_ATTACHMENT_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE,
    minimum=DATA_UPLOAD_MAX_MEMORY_SIZE,
)
# Pixel caps, checked from the header before anything is decoded. A baseline JPEG is decoded
# straight to the kept size (1/2..1/8 scale): a 50-megapixel photo took ~40 MB and 0.6-1.1 s, and
# PNG, GIF, WebP and progressive JPEG, decoded whole, 16 Mpx ~110 MB and 1.1-1.6 s (2 busy cores).
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 50_000_000, minimum=1_000_000)
IMAGE_MAX_FULL_DECODE_PIXELS = env_int("IMAGE_MAX_FULL_DECODE_PIXELS", 16_000_000, minimum=1_000_000)

# --- Requests (诉求): deadlines, escalation and public intake ------------------------------------
# Handling limits, in working days of the mainland China calendar.
PETITION_ACCEPT_WORKDAYS = env_int("PETITION_ACCEPT_WORKDAYS", 1, minimum=1)
PETITION_DISPATCH_WORKDAYS = env_int("PETITION_DISPATCH_WORKDAYS", 3, minimum=1)  # to resolve on site or dispatch
PETITION_SIGN_WORKDAYS = env_int("PETITION_SIGN_WORKDAYS", 1, minimum=1)
PETITION_REPLY_WORKDAYS = env_int("PETITION_REPLY_WORKDAYS", 10, minimum=1)
# Escalation (督办): level 1 when overdue, 2 and 3 after this many working days overdue.
ESCALATION_LEVEL2_WORKDAYS = env_int("ESCALATION_LEVEL2_WORKDAYS", 3, minimum=1)
ESCALATION_LEVEL3_WORKDAYS = env_int("ESCALATION_LEVEL3_WORKDAYS", 8, minimum=2)
ESCALATION_BATCH = env_int("ESCALATION_BATCH", 1000, minimum=1)  # requests claimed per transaction
# Parallel drains of the escalation scan, each with its own database connection: on PostgreSQL
# they overlap one another's round trips (4 took a 100,000-request scan from 33 s to 18 s);
# SQLite takes one writer at a time, so one drain there.
ESCALATION_WORKERS = env_int(
    "ESCALATION_WORKERS", 1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4, minimum=1
)
# Public filing limits per hour (petitions/intake.py explains them): per (address, contact
# number); per address, a higher ceiling for a factory's shared Wi-Fi; per point, counting only
# numbers that never filed at the point before.
PETITION_RATE_PER_CLIENT = env_int("PETITION_RATE_PER_CLIENT", 10, minimum=1)
PETITION_RATE_PER_ADDRESS = env_int("PETITION_RATE_PER_ADDRESS", 60, minimum=1)
PETITION_RATE_PER_POINT = env_int("PETITION_RATE_PER_POINT", 200, minimum=1)
# Additions on the tracking page, per request and per client address, per hour.
PETITION_ADD_INFO_RATE_PER_REQUEST = env_int("PETITION_ADD_INFO_RATE_PER_REQUEST", 10, minimum=1)
PETITION_ADD_INFO_RATE_PER_CLIENT = env_int("PETITION_ADD_INFO_RATE_PER_CLIENT", 30, minimum=1)

# --- Reception days ----------------------------------------------------------------------------
RECEPTION_ROSTER_MEMBERS = env_int("RECEPTION_ROSTER_MEMBERS", 2, minimum=1)  # members on duty besides the head
# 签到 only on the reception day itself, between these local hours (from the first, before the second).
RECEPTION_SIGN_IN_FROM_HOUR = env_int("RECEPTION_SIGN_IN_FROM_HOUR", 7, minimum=0)
RECEPTION_SIGN_IN_UNTIL_HOUR = env_int("RECEPTION_SIGN_IN_UNTIL_HOUR", 20, minimum=1)
# A scheduled day with nothing recorded is marked missed once this many whole days after it have passed
# (the head is reminded to fill in the record on the first of them).
RECEPTION_MISSED_AFTER_DAYS = env_int("RECEPTION_MISSED_AFTER_DAYS", 1, minimum=1)

# --- Messages: e-mail, SMS providers and group robots (README, "Messages") ---------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "liaison@localhost")
# SMS_BACKEND: liaison.core.sms.FileSmsBackend (the default: one JSON line per message in
# SMS_FILE; production refuses it unless SMS_ALLOW_DEV_BACKEND=true),
# liaison.core.sms.AlibabaSmsBackend or liaison.core.sms.TencentSmsBackend.
SMS_BACKEND = env_str("SMS_BACKEND", "liaison.core.sms.FileSmsBackend")
SMS_FILE = Path(env_str("SMS_FILE", str(VAR_DIR / "sms.log")))
SMS_ALLOW_DEV_BACKEND = env_bool("SMS_ALLOW_DEV_BACKEND", False)
# Provider account: Alibaba AccessKey ID/secret, or Tencent SecretId/SecretKey (secrets may be *_FILE).
SMS_ACCESS_KEY_ID = env_str("SMS_ACCESS_KEY_ID", "")
SMS_ACCESS_KEY_SECRET = env_str("SMS_ACCESS_KEY_SECRET", "")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")  # the approved signature (签名), e.g. 璧山区人大
SMS_APP_ID = env_str("SMS_APP_ID", "")  # Tencent only: the SmsSdkAppId
SMS_REGION = env_str("SMS_REGION", "")  # empty: cn-hangzhou (Alibaba), ap-guangzhou (Tencent)
SMS_ENDPOINT = env_str("SMS_ENDPOINT", "")  # empty: the provider's public endpoint
SMS_PROTOCOL = env_str("SMS_PROTOCOL", "https")
if SMS_PROTOCOL not in ("http", "https"):
    raise ImproperlyConfigured("SMS_PROTOCOL must be http or https")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10, minimum=1)  # seconds to connect, and to wait for the answer
# Approved template code per message: SMS_TEMPLATE_RECEPTION_REMINDER=SMS_123456789 (Alibaba)
# or =1234567 (Tencent); the parameters are templates/notifications/<message>/sms.txt.
SMS_TEMPLATES = {
    name.removeprefix("SMS_TEMPLATE_").lower(): code.strip()
    for name, code in os.environ.items()
    if name.startswith("SMS_TEMPLATE_") and code.strip()
}
# Group robots (DingTalk, WeCom) are configured per point or organisation in the work desk.
ROBOT_TIMEOUT = env_int("ROBOT_TIMEOUT", 5, minimum=1)  # seconds to connect, and to wait for the answer

# --- External platforms: deliveries (petitions.platforms, liaison.core.deliveries) ----------------
# One attempt may take this long in all (connect, headers and body); attempts before a delivery is
# marked failed (backoff 30 s doubling to 6 h: 15 attempts span about two days); how long one
# drain task sends before it leaves the rest to the next run.
DELIVERY_DEADLINE_SECONDS = env_int("DELIVERY_DEADLINE_SECONDS", 15, minimum=1)
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 15, minimum=1)
DELIVERY_DRAIN_SECONDS = env_int("DELIVERY_DRAIN_SECONDS", 120, minimum=1)
if DELIVERY_DRAIN_SECONDS + DELIVERY_DEADLINE_SECONDS >= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("DELIVERY_DRAIN_SECONDS + DELIVERY_DEADLINE_SECONDS must stay below the soft time limit")

# --- API (/api/v1/) ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "liaison.core.api.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "liaison.core.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"token": env_str("API_TOKEN_RATE", "10/min")},
    # DRF's own throttles believe the same proxies as ratelimit.client_ip, never a client's header.
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "liaison.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "链上代表活动点 API",
    "DESCRIPTION": "Points, enterprise requests and their workflow, people and reception days.",
    "VERSION": "1.0.0",
    # The events platforms receive are documented as webhooks: an OpenAPI 3.1 feature.
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": ["petitions.platforms.petition_dispatched_webhook"],
    "SERVE_INCLUDE_SCHEMA": False,
    # Applies the views' annotations first (liaison/core/apischema.py: built when first needed).
    "DEFAULT_GENERATOR_CLASS": "liaison.core.openapi.SchemaGenerator",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PetitionStatusEnum": "petitions.models.Status",
        "AttachmentKindEnum": "petitions.models.Attachment.Kind",
        "ReceptionDayStatusEnum": "deputies.models.ReceptionDay.Status",
        "ProblemCodeEnum": "liaison.core.api.PROBLEM_CODES",
    },
}

# --- Operations: health check and logs ---------------------------------------------------------
HEALTH_CHECK_TIMEOUT_MS = env_int("HEALTH_CHECK_TIMEOUT_MS", 3000, minimum=100)  # /healthz answers within it
LOG_FORMAT = env_str("LOG_FORMAT", "plain")  # "json" for one JSON object per line
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "liaison.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
