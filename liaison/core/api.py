"""What every API view shares: pagination, the error body, and the URL tree under /api/v1/."""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler as drf_exception_handler

from .middleware import malformed_in

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
        415: "unsupported media type",
        429: "too many requests",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=texts[code]) for code in codes}


def request_object(request):
    """The request body as a mapping; any other JSON (a list, a string) is a 400, not a crash."""
    if not isinstance(request.data, Mapping):
        raise exceptions.ValidationError({"non_field_errors": [_("The body must be a JSON object.")]})
    return request.data


def _serializer_field(field: forms.Field) -> serializers.Field:
    common = {"required": field.required, "label": str(field.label or ""), "help_text": str(field.help_text or "")}
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(**common)
    if isinstance(field, forms.ChoiceField):
        choices = [(value, label) for value, label in field.choices if value != ""]
        return serializers.ChoiceField(choices=choices, allow_blank=not field.required, **common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    if isinstance(field, forms.UUIDField):
        return serializers.UUIDField(**common)
    if isinstance(field, forms.FileField):
        if getattr(field.widget, "allow_multiple_selected", False):
            return serializers.ListField(child=serializers.FileField(), **common)
        return serializers.FileField(**common)
    if isinstance(field, forms.CharField):
        return serializers.CharField(
            max_length=field.max_length, min_length=field.min_length, allow_blank=not field.required, **common
        )
    raise TypeError(f"No serializer field for {type(field).__name__}")


def serializer_for_form(form_class: type[forms.Form], name: str) -> type[serializers.Serializer]:
    """A serializer describing ``form_class``'s fields, for the OpenAPI document. The form
    stays the one validator: the API and the work desk accept and refuse the same input."""
    fields = {field_name: _serializer_field(field) for field_name, field in form_class.base_fields.items()}
    return type(name, (serializers.Serializer,), fields)


class ScopedViewSetMixin:
    """A view set whose rows are its model's ``visible_to(user)``: the same scope as the work
    desk's (set ``queryset`` on the view; its manager provides ``visible_to``)."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class StrictJSONParser(JSONParser):
    """JSON that the database can store: a NUL byte or a lone surrogate (``"\\ud800"``) is a
    400 in the user's language, not a 500 from the database or the encoder much later."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if malformed_in(data):
            raise exceptions.ParseError(
                _("The request contains characters that cannot be processed (e.g. a NUL byte). Please check it.")
            )
        return data
