"""Refuse a request body larger than the site ever needs, before anything reads it.

Django caps only the non-file part of a form (DATA_UPLOAD_MAX_MEMORY_SIZE) and spools files of
any size to disk; a phone on a slow line or a script could send gigabytes to the QR form. The
declared length is checked first and a Chinese page (413) says what to do instead.
"""

from django.conf import settings
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .api import problem_response


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            limit = filesizeformat(settings.REQUEST_MAX_BYTES)
            if request.path_info.startswith("/api/"):
                detail = _("Everything sent at once, attachments included, may be at most %(limit)s.")
                return problem_response("too_large", detail % {"limit": limit})
            return render(request, "413.html", {"limit": limit}, status=413)
        return self.get_response(request)
