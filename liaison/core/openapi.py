"""The API's schema class (every operation documents its errors) and the generator that first
applies the views' annotations (``apischema.extend_schema``). Imported only where a schema is
generated: drf-spectacular's generator brings Django's test tools with it."""

import threading

from drf_spectacular.generators import SchemaGenerator as SpectacularGenerator
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from .api import _RESPONSE_HEADERS, PROBLEM_MEDIA_TYPE, errors
from .apischema import annotate

_one_at_a_time = threading.Lock()


class SchemaGenerator(SpectacularGenerator):
    def get_schema(self, *args, **kwargs):
        # drf-spectacular's generation is not thread-safe (it loads its extensions on first use):
        # concurrent first requests to a threaded server (runserver, gthread) answered 500.
        with _one_at_a_time:
            return super().get_schema(*args, **kwargs)

    def create_view(self, callback, method, request=None):
        # By the first view the URLs are loaded, so every API module has recorded its annotations.
        annotate()
        return super().create_view(callback, method, request)


class ApiSchema(AutoSchema):
    """Every operation documents the errors it can answer, as problem details, with the headers
    that go with them (Location on 201, WWW-Authenticate on 401, Retry-After on 429), besides
    those its ``extend_schema`` names."""

    def _default_errors(self) -> set[int]:
        codes = set()
        if "{" in self.path or self._is_list_view():
            codes.add(404)  # an unknown or invisible row, or a page past the end
        if self._is_list_view() or self.method in ("POST", "PUT", "PATCH"):
            codes.add(400)
        if self.method in ("POST", "PUT", "PATCH"):
            codes.add(415)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes |= {401, 403}
        if self.view.get_throttles():
            codes.add(429)
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code in sorted(self._default_errors()):
                if str(code) not in responses:
                    responses[str(code)] = self._get_response_for_code(
                        errors(code)[(code, PROBLEM_MEDIA_TYPE)], str(code), [PROBLEM_MEDIA_TYPE], direction
                    )
        return responses

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        """Adds the OpenAPI links a view declares in ``schema_links``
        (``{operation_id: {status: {name: link}}}``): how a client, or a stateful fuzzer, goes
        from this answer to the next call."""
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        links = getattr(self.view, "schema_links", {}).get(self.get_operation_id(), {}).get(str(status_code))
        if links:
            response["links"] = links
        return response

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        for name, description in _RESPONSE_HEADERS.get(str(status_code), {}).items():
            headers.setdefault(name, {"schema": {"type": "string"}, "description": description, "required": True})
        return headers
