import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponseBadRequest
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from .api import problem_response
from .compress import gzip_around_constant
from .text import malformed, malformed_in


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the visitor chose otherwise with the language switch.

    The browser's Accept-Language is not consulted: a TV in the point's room or a phone set
    to English still shows the portal in Chinese until someone picks English.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class CompressTextMiddleware(GZipMiddleware):
    """Gzip the pages, JSON and CSV the views answer, when the client accepts it; leave what is
    compressed already (images, PDFs, xlsx) as it is.

    The QR form is opened on phones with a weak signal: its page, with its stylesheet inside,
    travels in a quarter of its size. A page carrying that stylesheet is compressed around its
    copy compressed once (liaison/core/compress.py); others as Django's GZipMiddleware does,
    with its random padding against BREACH (the tracking page carries its secret link) in both
    cases. Static files never come here: WhiteNoise, above, answers them with the copies that
    collectstatic compressed.
    """

    def process_response(self, request, response):
        kind = response.get("Content-Type", "").partition(";")[0].strip().lower()
        if not (kind.startswith("text/") or kind.endswith(("json", "xml", "javascript", "openapi"))):
            return response
        if (
            kind == "text/html"
            and not response.streaming
            and not response.has_header("Content-Encoding")
            and re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        ):
            # A page with the inline stylesheet: only the page around it is compressed now.
            compressed = gzip_around_constant(response.content, self.max_random_bytes)
            if compressed is not None:
                patch_vary_headers(response, ("Accept-Encoding",))
                response.content = compressed
                response.headers["Content-Length"] = str(len(compressed))
                if response.get("ETag", "").startswith('"'):
                    response.headers["ETag"] = "W/" + response["ETag"]
                response.headers["Content-Encoding"] = "gzip"
                return response
        return super().process_response(request, response)


class RefuseMalformedInputMiddleware:
    """Answer 400 to a request carrying a NUL byte or a lone surrogate anywhere in its path,
    query string, form fields, file names or JSON body, before any view sees it.

    PostgreSQL refuses NUL in text and no encoder takes a lone surrogate, so such input used
    to reach the database and come back as a 500 from whichever view forgot to check. One
    check here covers every page, the admin's filters and the API alike. A JSON body that does
    not parse is left to the view (DRF answers it with its own 400).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._is_malformed(request):
            return self._refuse(request)
        return self.get_response(request)

    def _is_malformed(self, request) -> bool:
        if malformed(request.path_info):
            return True
        if any(malformed_in(k) or malformed_in(v) for k, v in request.GET.lists()):
            return True
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return False
        content_type = request.content_type or ""
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            # A body too big, with too many fields or broken multipart raises here as it would in
            # the view, and Django answers it with its 400; a client that hung up is let through
            # for the view (and the CSRF middleware) to meet as before.
            try:
                fields = list(request.POST.lists())
                names = [f.name or "" for files in request.FILES.lists() for f in files[1]]
            except OSError:
                return False
            return any(malformed_in(k) or malformed_in(v) for k, v in fields) or any(map(malformed, names))
        if "json" in content_type:
            try:
                data = json.loads(request.body)
            except (ValueError, RequestDataTooBig):
                return False
            return malformed_in(data)
        return False

    def _refuse(self, request):
        message = _("The request contains characters that cannot be processed (e.g. a NUL byte). Please check it.")
        if request.path_info.startswith("/api/") or "json" in (request.content_type or ""):
            return problem_response("malformed", message)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class FriendlyNotFoundMiddleware:
    """Public pages answer with the portal's own "not found" page in every mode. Without DEBUG
    Django does so already; with it (``make run``) someone who scans an unknown or replaced QR
    code, or opens a broken tracking link, would get Django's technical page in English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404) and not request.path.startswith(("/admin/", "/api/")):
            return render(request, "404.html", status=404)
        return None
