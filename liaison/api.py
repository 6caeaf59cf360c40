"""What every API view shares: pagination, the error body, and the URL tree under /api/v1/."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

_VALIDATION_DETAIL = _("The input is not valid; see the errors by field.")


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def exception_handler(exc, context):
    """Every error is ``{"detail": "...", "errors": {field: [messages]}}`` in the user's language."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):  # raised past the form, e.g. an attachment refused once decoded
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": str(_VALIDATION_DETAIL), "errors": errors}
    elif not (isinstance(data, dict) and "detail" in data):
        response.data = {"detail": str(data)}
    return response


ErrorSerializer = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    },
)


def errors(*codes: int) -> dict:
    """OpenAPI descriptions of the error answers an endpoint can give."""
    texts = {
        400: "invalid input",
        401: "not authenticated or bad signature",
        403: "not allowed",
        404: "not found or not visible to you",
        409: "not possible in the request's current state",
        429: "too many requests",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=texts[code]) for code in codes}


def request_object(request):
    """The request body as a mapping; any other JSON (a list, a string) is a 400, not a crash."""
    from collections.abc import Mapping

    if not isinstance(request.data, Mapping):
        raise exceptions.ValidationError({"non_field_errors": [_("The body must be a JSON object.")]})
    return request.data
