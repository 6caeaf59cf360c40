import gc
import os
import sys

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings.prod")
# DRF imports `requests`, when it is installed, for its test client alone. It is installed for
# the SMS providers' SDKs, which only the Celery worker runs; a web worker would carry it, with
# urllib3, idna and charset_normalizer, for nothing (4.5 MB). DRF is told it is absent (a None
# entry makes the import fail) while it loads; after that, `import requests` works as usual.
if "requests" not in sys.modules and "rest_framework.compat" not in sys.modules:
    sys.modules["requests"] = None
    try:
        import rest_framework.compat  # noqa: F401
    finally:
        del sys.modules["requests"]
application = get_wsgi_application()
# What start-up loaded (settings, apps, URLs and the views they import) lives as long as the
# process: kept out of the garbage collector's passes, which otherwise walked ~150,000 objects
# each time (40–90 ms here, inside some request) to find nothing to free.
get_resolver().url_patterns  # noqa: B018 — the URLs and their views, loaded now rather than by the first request
gc.freeze()
