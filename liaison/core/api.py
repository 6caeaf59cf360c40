"""What every API view shares: pagination, the error body (RFC 9457 problem details) and its
schema, the caller's language. DRF's APIView imports this module (the parser setting) while it is
being defined, so nothing here may import DRF's views: the schema class is in ``apischema``."""

import copy
import functools
import math
from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, transaction
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from .text import malformed_in

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Where a problem type is described; relative, so it resolves against the API's own address.
PROBLEM_TYPE_URL = "/api/v1/problems/{code}/"

# Every ``code`` an error may carry: its status and its title. A client branches on the code,
# never on the (translated) title or detail.
PROBLEMS = {
    "invalid": (400, _("The input is not valid")),
    "malformed": (400, _("The request cannot be read")),
    "not_authenticated": (401, _("Sign-in required")),
    "bad_credentials": (401, _("The credentials are not valid")),
    "bad_signature": (401, _("Bad or expired signature")),
    "not_allowed": (403, _("Not allowed")),
    "not_found": (404, _("Not found")),
    "method_not_allowed": (405, _("Method not allowed")),
    "not_acceptable": (406, _("Not acceptable")),
    "transition_refused": (409, _("Not possible in the request's current state")),
    "conflict": (409, _("Conflict")),
    "too_large": (413, _("What you sent is too large")),
    "unsupported_media_type": (415, _("Unsupported media type")),
    "throttled": (429, _("Too many requests")),
}
PROBLEM_CODES = list(PROBLEMS)  # the schema's ProblemCodeEnum
# DRF's own codes, as ours.
_DRF_CODES = {
    "parse_error": "malformed",
    "authentication_failed": "bad_credentials",
    "permission_denied": "not_allowed",
    "error": "invalid",
}
_BY_STATUS = {
    400: "invalid",
    401: "not_authenticated",
    403: "not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}
_VALIDATION_DETAIL = _("The input is not valid; see the errors by field.")
# A sliding window opens again slot by slot (liaison/core/ratelimit.py): an hourly limit's
# oldest slot leaves it within five minutes.
DEFAULT_RETRY_AFTER = 300


# DRF's, with its fields built in the portal's language: DRF labels a field with the model's name
# for it only where that name differs from the field's own, and decides in the language of the
# moment. Built under English, "kind" needs no label and stays "Kind" in every later schema; under
# Chinese, every field keeps the model's lazy name, shown in the language each schema is written
# in. (No docstring: the schema would show it as the description of every serializer without one.)
class ModelSerializer(serializers.ModelSerializer):
    def get_fields(self):
        with translation.override(settings.LANGUAGE_CODE):
            return super().get_fields()


class FieldsBuiltOnce:
    """Put first in a ``ModelSerializer``'s bases whose fields depend on nothing but its class:
    they are worked out from the model once per class and copied for each instance, where DRF
    works them out again for every instance (a third of the public API's answer to a filing).
    A plain field is copied as it is, before DRF binds the copy to its serializer: DRF's own
    deep copy builds each field anew from its arguments. A nested serializer is deep-copied."""

    def get_fields(self):
        cls = type(self)
        if "_fields_built" not in cls.__dict__:
            cls._fields_built = super().get_fields()
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
            for name, field in cls._fields_built.items()
        }


class Pagination(PageNumberPagination):
    """Pages of 20 by default. A ``page`` that is not a whole number from 1, or a ``page_size``
    not from 1 to 100, is a 400: DRF would quietly use the first page, the default size or the
    cap, and the caller would never learn that the parameter was wrong. A page past the end
    stays a 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    last_page_strings = ()  # the schema says page is an integer: "last" is not one

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise exceptions.ValidationError({self.page_query_param: [_("Give a whole number from 1.")]})
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= self.max_page_size):
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


class Conflict(exceptions.APIException):
    """409: the request's state (``transition_refused``) or an earlier use of a key
    (``conflict``) does not allow this."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Conflict")
    default_code = "conflict"


class BadSignature(exceptions.AuthenticationFailed):
    default_detail = _("Bad or expired signature.")
    default_code = "bad_signature"
    auth_scheme = 'Signature realm="callbacks", scheme="standard-webhooks"'


def problem(code: str, detail, *, status_code: int | None = None, errors: dict | None = None) -> dict:
    """The body of an error: RFC 9457 fields plus ``code`` and, for invalid input, ``errors``."""
    default_status, title = PROBLEMS[code]
    body = {
        "type": PROBLEM_TYPE_URL.format(code=code),
        "title": str(title),
        "status": status_code or default_status,
        "detail": str(detail),
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(code: str, detail=None, **headers) -> JsonResponse:
    """A problem answered outside DRF (unknown routes under /api/)."""
    status_code, title = PROBLEMS[code]
    response = JsonResponse(
        problem(code, detail or title),
        status=status_code,
        content_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
        json_dumps_params={"ensure_ascii": False},  # readable Chinese, as DRF's own answers
    )
    response["Content-Language"] = translation.get_language()
    return response


def _code_of(exc, status_code: int) -> str:
    detail = getattr(exc, "detail", None)
    code = getattr(detail, "code", None) if not isinstance(detail, dict | list) else None
    code = _DRF_CODES.get(code, code)
    if code in PROBLEMS and PROBLEMS[code][0] == status_code:
        return code
    return _BY_STATUS.get(status_code, "invalid" if status_code < 500 else "conflict")


def _flat_errors(data) -> dict:
    if isinstance(data, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in data.items()}
    return {"non_field_errors": [str(m) for m in (data if isinstance(data, list) else [data])]}


def exception_handler(exc, context):
    """Every error is a problem (``application/problem+json``) in the caller's language:
    ``{"type", "title", "status", "detail", "code", "errors"?}``. No credentials is a 401 with
    ``WWW-Authenticate``; every 429 says when to retry."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):  # raised past the form, e.g. an attachment refused once decoded
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if not isinstance(exc, exceptions.APIException):
        return None  # a server error: Django's 500 handling, logged
    response = Response(status=exc.status_code)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF would answer 403 when the first authenticator (the session) names no scheme; a
        # client without credentials must learn that a token would do.
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response["WWW-Authenticate"] = getattr(exc, "auth_scheme", 'Token realm="api"')
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        wait = getattr(exc, "wait", None)
        response["Retry-After"] = str(math.ceil(wait) if wait else DEFAULT_RETRY_AFTER)
    for connection in connections.all():  # as DRF does: an error undoes ATOMIC_REQUESTS' work
        if connection.settings_dict["ATOMIC_REQUESTS"] and connection.in_atomic_block:
            transaction.set_rollback(True, using=connection.alias)
    code = _code_of(exc, response.status_code)
    if isinstance(exc, exceptions.ValidationError):
        body = problem(code, _VALIDATION_DETAIL, status_code=response.status_code, errors=_flat_errors(exc.detail))
    else:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        body = problem(code, detail or PROBLEMS[code][1], status_code=response.status_code)
    response.data = body
    renderer = getattr(context.get("request"), "accepted_renderer", None)
    if renderer is None or getattr(renderer, "format", "json") == "json":
        response.content_type = PROBLEM_MEDIA_TYPE
    return response


ProblemSerializer = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(help_text="URI reference of the problem type: /api/v1/problems/<code>/."),
        "title": serializers.CharField(help_text="Short, per code, in the caller's language."),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(help_text="This occurrence, in the caller's language."),
        "code": serializers.ChoiceField(choices=PROBLEM_CODES, help_text="Stable; branch on this."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="For code `invalid`: messages by field (`non_field_errors` for the whole body).",
        ),
    },
)

_ERROR_TEXTS = {
    400: "invalid input (`invalid`) or an unreadable body (`malformed`)",
    401: "no or bad credentials (`not_authenticated`, `bad_credentials`, `bad_signature`); see WWW-Authenticate",
    403: "signed in, but lacking the right (`not_allowed`)",
    404: "not found or not visible to you (`not_found`)",
    405: "method not allowed (`method_not_allowed`)",
    406: "no acceptable representation (`not_acceptable`)",
    409: "not possible in the request's current state (`transition_refused`) or a key used before (`conflict`)",
    415: "unsupported media type (`unsupported_media_type`)",
    429: "too many requests (`throttled`); see Retry-After",
}
_RESPONSE_HEADERS = {
    "201": {"Location": "The address of what was created."},
    "401": {"WWW-Authenticate": 'How to authenticate: `Token realm="api"` (a signature scheme on callbacks).'},
    "429": {"Retry-After": "Seconds to wait before trying again."},
}


def errors(*codes: int) -> dict:
    """OpenAPI descriptions of the error answers an endpoint can give, as problem details."""
    return {
        (code, PROBLEM_MEDIA_TYPE): OpenApiResponse(ProblemSerializer, description=_ERROR_TEXTS[code]) for code in codes
    }


def request_object(request):
    """The request body as a mapping; any other JSON (a list, a string) is a 400, not a crash."""
    if not isinstance(request.data, Mapping):
        raise exceptions.ValidationError({"non_field_errors": [_("The body must be a JSON object.")]})
    return request.data


def _serializer_field(field: forms.Field) -> serializers.Field:
    # Labels and help texts stay lazy: each schema is written in the language it is asked in.
    common = {"required": field.required, "label": field.label or "", "help_text": field.help_text or ""}
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
        try:
            data = super().parse(stream, media_type, parser_context)
        except exceptions.ParseError:
            # DRF's detail is the decoder's English ("JSON parse error - Expecting value…").
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from None
        if malformed_in(data):
            raise exceptions.ParseError(
                _("The request contains characters that cannot be processed (e.g. a NUL byte). Please check it.")
            )
        return data


def _callers_language(request) -> str | None:
    """The first supported language of the Accept-Language header, if it names one."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def in_callers_language(view):
    """Run ``view`` in the language of the caller's Accept-Language (Chinese without one).

    Pages ignore the header on purpose (a TV or a phone set to English still shows Chinese until
    someone picks English); the API is read by programs, whose authors say what they want."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        language = _callers_language(request)
        if language is None:
            return view(request, *args, **kwargs)
        with translation.override(language):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # render while the language is still the caller's
        response["Content-Language"] = language
        return response

    return wrapper


@csrf_exempt  # it changes nothing; a POST to a wrong address must learn it is wrong, not be told about CSRF
@in_callers_language
def api_not_found(request, path=""):
    """Every other path under /api/: a problem, not the site's HTML page."""
    return problem_response("not_found", _("There is nothing at this address in the API."))
