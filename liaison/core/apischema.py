"""What the API's views say of themselves for the schema, kept light: a view names its schema
class (``Schema``) and its annotations (``extend_schema``), and drf-spectacular builds them when a
schema is first generated (``openapi.SchemaGenerator``). Built at import, they imported its
generator, and Django's test tools with it, into every web worker (2.5 MB) for a page few of them
serve. drf-spectacular's own generator (``spectacular --generator-class …``) does not apply
them; ``openapi.SchemaGenerator`` is the one the settings name. Also the problem types' page,
apart from ``api`` because it needs DRF's views, which import ``api`` for the parser setting."""

import functools
import threading

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.schemas.inspectors import DefaultSchema, ViewInspector
from rest_framework.views import APIView

from .api import PROBLEM_CODES, PROBLEM_TYPE_URL, PROBLEMS

_pending = []  # (view or method, extend_schema's arguments), in the order they were written
_applying = threading.Lock()
_generating = threading.Event()  # set once this process generates a schema


def extend_schema(*args, **kwargs):
    """drf-spectacular's ``extend_schema``, applied by ``annotate`` when a schema is first
    generated, in the order the decorators ran. It returns what it decorates unchanged, as
    drf-spectacular's does: that one sets attributes on it."""

    def record(view):
        _pending.append((view, args, kwargs))
        return view

    return record


def annotate():
    """Apply the annotations recorded so far (the schema generator calls this before it builds
    each view's schema)."""
    from drf_spectacular.utils import extend_schema as apply

    _generating.set()
    with _applying:
        while _pending:
            view, args, kwargs = _pending.pop(0)
            apply(*args, **kwargs)(view)


class Schema(DefaultSchema):
    """``schema = Schema()`` on a view: the API's schema class (``openapi.ApiSchema``), or the one
    ``path`` names, imported when a schema is generated, as DRF's ``DefaultSchema`` imports the
    default one."""

    def __init__(self, path="liaison.core.openapi.ApiSchema"):
        super().__init__()
        self.path = path

    def __get__(self, instance, owner):
        result = ViewInspector.__get__(self, instance, owner)
        if result is not self:  # one set on this view instance
            return result
        if instance is None and not _generating.is_set():
            return self  # DRF's router lists every attribute of a view class to build the URLs
        inspector = import_string(self.path)()
        inspector.view = instance
        return inspector


def imported_view(path, **initkwargs):
    """The view class at ``path``, imported at its first request (the schema and its docs)."""

    @csrf_exempt  # as DRF's own views are
    def view(request, *args, **kwargs):
        return built()(request, *args, **kwargs)

    @functools.cache
    def built():
        return import_string(path).as_view(**initkwargs)

    return view


class ProblemTypeView(APIView):
    """What a problem ``type`` names: its code, status and title, in the caller's language."""

    permission_classes = [AllowAny]
    authentication_classes = []
    schema = Schema()

    @extend_schema(
        responses={
            200: inline_serializer(
                "ProblemType",
                {
                    "type": serializers.CharField(),
                    "code": serializers.ChoiceField(choices=PROBLEM_CODES),
                    "status": serializers.IntegerField(),
                    "title": serializers.CharField(),
                },
            )
        },
        description="The problem types: what each `code` of an error answer means.",
    )
    def get(self, request, code):
        if code not in PROBLEMS:
            raise exceptions.NotFound(_("There is no such problem type."))
        status_code, title = PROBLEMS[code]
        return Response(
            {"type": PROBLEM_TYPE_URL.format(code=code), "code": code, "status": status_code, "title": str(title)}
        )
