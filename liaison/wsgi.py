import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings.prod")
application = get_wsgi_application()
# What start-up loaded (settings, apps, URLs and the views they import) lives as long as the
# process: kept out of the garbage collector's passes, which otherwise walked ~150,000 objects
# each time (40–90 ms here, inside some request) to find nothing to free.
get_resolver().url_patterns  # noqa: B018 — the URLs and their views, loaded now rather than by the first request
gc.freeze()
