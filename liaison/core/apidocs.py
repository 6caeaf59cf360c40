"""The API's browsable docs, imported at their first request (``apischema.imported_view``).
Apart from ``openapi``: drf-spectacular's views read the generator class, in ``openapi``, when
they load."""

from django.views import View
from drf_spectacular.views import SpectacularSwaggerSplitView


class DocsView(SpectacularSwaggerSplitView):
    """The browsable docs. Their HTML renderer has no page for DRF's OPTIONS answer (a 500):
    OPTIONS answers as Django's views do, with what the address allows."""

    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)
