"""/api/v1/ for requests: public filing and tracking, staff lists and workflow actions, and the
external platforms' signed callback. Validation, throttling and idempotency are the web form's;
every change goes through the same services."""

import functools
import json
import uuid

import django_filters
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    NotFound,
    ParseError,
    PermissionDenied,
    Throttled,
    UnsupportedMediaType,
    ValidationError,
)
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from liaison.core.api import (
    DEFAULT_RETRY_AFTER,
    BadSignature,
    Conflict,
    FieldsBuiltOnce,
    ModelSerializer,
    Pagination,
    ScopedViewSetMixin,
    StrictJSONParser,
    errors,
    request_object,
    serializer_for_form,
)
from liaison.core.apischema import Schema, extend_schema
from liaison.core.notifications import absolute_url
from liaison.core.paging import CappedPaginator
from liaison.core.webhooks import verify, verify_standard
from points.selectors import active_point

from . import routing
from .access import access_petition, access_petition_by_token
from .actions import STEPS, TransitionRefused
from .callbacks import CallbackRejected, apply_callback
from .forms import PublicPetitionForm
from .intake import AdditionsThrottled, SubmissionKeyReused, SubmissionThrottled, submit_public, take_public_step
from .messages import public_timeline
from .models import Attachment, Category, Department, ExternalPlatform, Petition, PetitionEvent, Satisfaction
from .similar import similar_requests
from .uploads import attachment_response
from .workflow import actor_rights, allowed_actions

# ``satisfaction`` is "" until the enterprise rates: the enum says so.
SATISFACTION_OUT = [("", ""), *Satisfaction.choices]


def refused(exc: TransitionRefused) -> Conflict:
    return Conflict(exc.message, code="transition_refused")


def form_errors(form) -> ValidationError:
    return ValidationError({field: [str(m) for m in messages] for field, messages in form.errors.items()})


@functools.cache
def step_input(name: str):
    step = STEPS[name]
    component = "".join(part.title() for part in name.split("_")) + "In"
    return serializer_for_form(step.form, component) if step.form else inline_serializer(component, {})


# Public: filing and tracking ------------------------------------------------------------------


class PublicSubmitIn(serializers.Serializer):
    point = serializers.SlugField(help_text="The point's public code.")
    enterprise = serializers.IntegerField(required=False, allow_null=True, help_text="Id of a linked enterprise.")
    enterprise_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    contact_name = serializers.CharField(max_length=40)
    contact_phone = serializers.CharField(max_length=20, help_text="11-digit mainland mobile number.")
    category = serializers.ChoiceField(choices=Category.choices)
    title = serializers.CharField(max_length=100)
    content = serializers.CharField(min_length=5, max_length=5000)
    submission_key = serializers.UUIDField(
        required=False,
        help_text="One-time key: the same request sent again with it returns the first one; a key used for "
        "another request (another point or other content) is a 409.",
    )
    attachments = serializers.ListField(child=serializers.FileField(), required=False, max_length=4)


class PublicEventOut(serializers.Serializer):
    """A timeline entry as the enterprise reads it (``messages.public_timeline``): the step's
    public status text, and the entry's own text only where it is public."""

    action = serializers.CharField()
    action_label = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReplyLetterOut(FieldsBuiltOnce, ModelSerializer):
    """A reply letter (答复函) addressed to the enterprise, downloadable with the secret link."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["original_name", "kind", "size", "uploaded_at", "url"]

    def get_url(self, obj) -> str:
        petition = obj.petition
        return absolute_url(reverse("petitions:letter", args=[petition.number, petition.access_token, obj.pk]))


class PublicPetitionOut(FieldsBuiltOnce, ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    point = serializers.CharField(source="point.name")
    events = serializers.SerializerMethodField()
    reply_letters = serializers.SerializerMethodField()
    tracking_url = serializers.SerializerMethodField()
    access_token = serializers.CharField()
    satisfaction = serializers.ChoiceField(choices=SATISFACTION_OUT, allow_blank=True)

    class Meta:
        model = Petition
        fields = [
            "number",
            "access_token",
            "tracking_url",
            "point",
            "title",
            "category",
            "status",
            "status_label",
            "submitted_at",
            "resolution",
            "satisfaction",
            "events",
            "reply_letters",
        ]

    @extend_schema_field(ReplyLetterOut(many=True))
    def get_reply_letters(self, obj):
        if self.context.get("just_filed"):
            return []  # nobody has answered it yet
        letters = obj.attachments.filter(purpose=Attachment.Purpose.REPLY_LETTER).select_related("petition")
        return ReplyLetterOut(letters, many=True).data

    def get_events(self, obj) -> list[dict]:
        return PublicEventOut(public_timeline(obj, self.context.get("events")), many=True).data

    def get_tracking_url(self, obj) -> str:
        return absolute_url(obj.get_tracking_url())


class PublicRequestViewSet(viewsets.GenericViewSet):
    """Enterprises file and follow requests without an account.

    No account means no CSRF token, so nothing a page elsewhere can make a browser send may
    be accepted: JSON (a cross-site form cannot send it without a CORS preflight, which this
    site never grants) and, for attachments, multipart with an ``X-Requested-With`` header
    (a custom header also forces the preflight). A plain form post or a bare multipart post
    is a 415."""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [StrictJSONParser, MultiPartParser]
    serializer_class = PublicPetitionOut
    lookup_field = "number"
    schema = Schema()
    # File → follow → add information, for clients and the stateful fuzz run (tests/test_api_fuzz.py).
    schema_links = {
        "public_requests_create": {
            status_code: {
                name: {
                    "operationId": operation,
                    "parameters": {"number": "$response.body#/number", "token": "$response.body#/access_token"},
                    "description": description,
                }
                for name, operation, description in (
                    ("track", "public_requests_retrieve", "Follow the request just filed."),
                    ("addInfo", "public_requests_info_create", "Add information to it."),
                    ("rate", "public_requests_rate_create", "Rate it once resolved."),
                )
            }
            for status_code in ("200", "201")
        },
        "public_requests_retrieve": {
            "200": {
                "addInfo": {
                    "operationId": "public_requests_info_create",
                    "parameters": {"number": "$request.path.number", "token": "$request.path.token"},
                }
            }
        },
    }

    @staticmethod
    def _refuse_cross_site_forms(request):
        """After the lookup, so an unknown point or link stays a 404 whatever was sent."""
        content_type = request.content_type or ""
        if content_type.startswith("multipart/") and not request.headers.get("X-Requested-With"):
            raise UnsupportedMediaType(
                content_type, detail=_("Send JSON; files only as multipart with the X-Requested-With header.")
            )

    @extend_schema(
        request={"application/json": PublicSubmitIn, "multipart/form-data": PublicSubmitIn},
        responses={201: PublicPetitionOut, 200: PublicPetitionOut, **errors(400, 404, 409, 415, 429)},
        description=(
            "File a request at a point. 201 when created, 200 when the submission key was seen before (the same "
            "request at the same point), 409 when the key belongs to another request. JSON; multipart (to send "
            "attachments) only with an X-Requested-With header."
        ),
    )
    def create(self, request):
        data = request_object(request)
        code = str(data.get("point", ""))
        # Only a well-formed code reaches the database (a NUL byte would fail there, not here).
        point = active_point("code", code) if slug_re.match(code) else None
        if point is None:
            raise NotFound(_("This code does not belong to any active liaison point."))
        self._refuse_cross_site_forms(request)
        form_data = {k: data.get(k) for k in PublicPetitionForm.Meta.fields}
        form_data["submission_key"] = data.get("submission_key") or str(uuid.uuid4())
        form_data["website"] = ""
        form = PublicPetitionForm(form_data, {"attachments": request.FILES.getlist("attachments")}, point=point)
        if not form.is_valid():
            raise form_errors(form)
        try:
            petition, created = submit_public(form, request)
        except SubmissionThrottled as exc:
            raise Throttled(wait=DEFAULT_RETRY_AFTER, detail=exc.message) from None
        except SubmissionKeyReused as exc:
            raise Conflict(exc.message, code="conflict") from None
        if not created:
            return Response(PublicPetitionOut(petition).data)
        # Built from the rows just written: the request and its first timeline entry.
        data = PublicPetitionOut(petition, context={"events": petition.new_events, "just_filed": True}).data
        location = f"/api/v1/public/requests/{petition.number}/{petition.access_token}/"
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})

    def _petition(self, number, token):
        petition = access_petition_by_token(number, token)
        if self.request.method == "POST":
            self._refuse_cross_site_forms(self.request)
        return petition

    @extend_schema(responses={200: PublicPetitionOut, **errors(404)}, description="Follow a request with its secret.")
    @action(detail=False, methods=["get"], url_path=r"(?P<number>[A-Za-z0-9-]+)/(?P<token>[A-Za-z0-9_-]+)")
    def track(self, request, number, token):
        return Response(PublicPetitionOut(self._petition(number, token)).data)

    @extend_schema(
        request=step_input("add_info"),
        responses={200: PublicPetitionOut, **errors(400, 404, 409)},
        description="Add information (and files, as multipart) to an open request.",
    )
    @action(detail=False, methods=["post"], url_path=r"(?P<number>[A-Za-z0-9-]+)/(?P<token>[A-Za-z0-9_-]+)/info")
    def info(self, request, number, token):
        return self._step(request, number, token, "add_info")

    @extend_schema(
        request=step_input("rate"),
        responses={200: PublicPetitionOut, **errors(400, 404, 409)},
        description="Rate a resolved request once; unsatisfied reopens it.",
    )
    @action(detail=False, methods=["post"], url_path=r"(?P<number>[A-Za-z0-9-]+)/(?P<token>[A-Za-z0-9_-]+)/rate")
    def rate(self, request, number, token):
        return self._step(request, number, token, "rate")

    def _step(self, request, number, token, name):
        """The enterprise's steps, through the same forms and services as everywhere."""
        petition = self._petition(number, token)
        form = STEPS[name].bind(petition, request_object(request), request.FILES)
        if not form.is_valid():
            raise form_errors(form)
        try:
            petition = take_public_step(name, form, request, petition)
        except AdditionsThrottled as exc:
            raise Throttled(wait=DEFAULT_RETRY_AFTER, detail=exc.message) from None
        except TransitionRefused as exc:
            raise refused(exc) from None
        return Response(PublicPetitionOut(petition).data)


# Staff: lists, detail and workflow actions ---------------------------------------------------


class PetitionFilter(django_filters.FilterSet):
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="overdue")
    point = django_filters.CharFilter(field_name="point__code")

    class Meta:
        model = Petition
        fields = ["status", "category", "channel", "department", "point", "escalation_level", "urgency"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(pk__in=queryset.overdue().values("pk"))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class EventOut(ModelSerializer):
    action_label = serializers.CharField(source="get_action_display")
    text = serializers.CharField(source="shown_text", help_text="In the reader's language where the portal wrote it.")
    actor_label = serializers.CharField(source="shown_actor")

    class Meta:
        model = PetitionEvent
        fields = ["action", "action_label", "from_status", "to_status", "actor_label", "text", "public", "created_at"]


class PetitionOut(ModelSerializer):
    point = serializers.CharField(source="point.code")
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    contact_phone = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    satisfaction = serializers.ChoiceField(choices=SATISFACTION_OUT, allow_blank=True)

    class Meta:
        model = Petition
        fields = [
            "id",
            "number",
            "point",
            "channel",
            "enterprise",
            "enterprise_name",
            "contact_name",
            "contact_phone",
            "category",
            "title",
            "status",
            "urgency",
            "department",
            "submitted_at",
            "due_at",
            "due_date",
            "reply_due_at",
            "reply_due",
            "resolved_at",
            "closed_at",
            "satisfaction",
            "escalation_level",
            "overdue",
        ]

    def get_contact_phone(self, obj) -> str:
        user = self.context["request"].user
        return obj.contact_phone if user.has_perm("petitions.view_contact_phone") else obj.masked_phone

    def get_overdue(self, obj) -> bool:
        return bool(obj.is_open and obj.due_at and obj.due_at < timezone.now())


class PetitionDetailOut(PetitionOut):
    events = EventOut(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(PetitionOut.Meta):
        fields = [
            *PetitionOut.Meta.fields,
            "content",
            "dispatch_instructions",
            "resolution",
            "events",
            "allowed_actions",
        ]

    def get_allowed_actions(self, obj) -> list[str]:
        return allowed_actions(obj, self.context["request"].user)


class AttachmentOut(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "purpose", "original_name", "size", "uploaded_at", "url"]

    def get_url(self, obj) -> str:
        return f"/api/v1/requests/{obj.petition_id}/attachments/{obj.pk}/"


class DepartmentOut(ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)

    class Meta:
        model = Department
        fields = ["id", "name", "organisation", "phone", "active"]


class SimilarOut(serializers.Serializer):
    """A possible duplicate (``petitions.similar``): the request, its score (trigram
    similarity of title and content, plus a bonus for the same enterprise) and whether it is
    of the same enterprise."""

    id = serializers.IntegerField(source="petition.pk")
    number = serializers.CharField(source="petition.number")
    title = serializers.CharField(source="petition.title")
    status = serializers.CharField(source="petition.status")
    submitted_at = serializers.DateTimeField(source="petition.submitted_at")
    score = serializers.FloatField()
    same_enterprise = serializers.BooleanField()


class RequestSearchFilter(SearchFilter):
    """``?search=``: each word in the number, title, enterprise name or content, through the
    same ``PetitionQuerySet.search`` as the work desk's search box."""

    def filter_queryset(self, request, queryset, view):
        for word in self.get_search_terms(request):
            queryset = queryset.search(word)
        return queryset


class SearchPagination(Pagination):
    """Pages of a list; with ``?search=``, ``count`` stops at 1,000 (``liaison.core.paging``)."""

    def paginate_queryset(self, queryset, request, view=None):
        searching = bool(request.query_params.get(api_settings.SEARCH_PARAM, "").strip())
        self.django_paginator_class = CappedPaginator if searching else Paginator
        return super().paginate_queryset(queryset, request, view)


class DispatchDepartmentOut(DepartmentOut):
    suggested_for = serializers.SerializerMethodField(
        help_text="Similar requests this department answered, if it is among the suggested ones; else 0."
    )

    class Meta(DepartmentOut.Meta):
        fields = [*DepartmentOut.Meta.fields, "suggested_for"]

    def get_suggested_for(self, obj) -> int:
        return self.context["suggested"].get(obj.pk, 0)


class PetitionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Requests visible to the signed-in user, exactly as in the work desk; their timelines,
    attachments and the departments each may be dispatched to.

    ``?search=`` looks for every word in the number, title, enterprise name and content; a word
    of one or two characters is looked for among the newest 2,000 requests only, and a search's
    ``count`` stops at 1,000."""

    schema = Schema()
    filterset_class = PetitionFilter
    filter_backends = [DjangoFilterBackend, RequestSearchFilter, OrderingFilter]
    pagination_class = SearchPagination
    lookup_value_regex = r"\d+"
    search_fields = ["number", "title", "enterprise_name", "content"]  # read by RequestSearchFilter
    ordering_fields = ["submitted_at", "due_at", "due_date", "number"]
    ordering = ["-submitted_at"]

    queryset = Petition.objects.select_related("point", "department")

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.prefetch_related("events") if self.action == "retrieve" else qs

    def get_serializer_class(self):
        return PetitionDetailOut if self.action == "retrieve" else PetitionOut

    def _petition(self, pk) -> Petition:
        return access_petition(self.request.user, pk)

    @extend_schema(responses={200: EventOut(many=True)}, filters=False, description="The whole timeline, oldest first.")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk):
        events = self._petition(pk).events.order_by("created_at", "pk")
        return Response(EventOut(events, many=True).data)

    @extend_schema(responses={200: AttachmentOut(many=True)}, filters=False, description="The files of the request.")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def attachments(self, request, pk):
        petition = self._petition(pk)
        rows = Attachment.objects.visible_to(request.user).filter(petition=petition)
        return Response(AttachmentOut(rows, many=True).data)

    @extend_schema(
        responses={200: SimilarOut(many=True)},
        filters=False,
        description="Possible duplicates: open and recent requests of the same point most alike in title and "
        "content, most alike first (merge one with the `merge` step).",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def similar(self, request, pk):
        return Response(SimilarOut(similar_requests(self._petition(pk), user=request.user), many=True).data)

    @extend_schema(
        responses={200: DispatchDepartmentOut(many=True)},
        filters=False,
        description="The departments this request may be dispatched to (the input of `dispatch`), suggested "
        "ones first: those that answered the most requests of its category at its organisation's points.",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def departments(self, request, pk):
        petition = self._petition(pk)
        rows, suggested = routing.rank(Department.objects.serving(petition.point), petition)
        out = DispatchDepartmentOut(rows.select_related("organisation"), many=True, context={"suggested": suggested})
        return Response(out.data)


class AttachmentFileView(APIView):
    """One attachment's file, served as what it was checked to be (``attachment_response``)."""

    schema = Schema()

    @extend_schema(
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, (200, "application/pdf"): OpenApiTypes.BINARY},
        operation_id="requests_attachments_file",
        tags=["requests"],
    )
    def get(self, request, pk, attachment):
        petition = access_petition(request.user, pk)
        row = get_object_or_404(Attachment.objects.visible_to(request.user), petition=petition, pk=attachment)
        return attachment_response(row)


class DepartmentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Departments visible to you: your own (handlers), your office's and those serving your
    points. For a request's dispatch choices, see /requests/{id}/departments/."""

    schema = Schema()
    serializer_class = DepartmentOut
    lookup_value_regex = r"\d+"
    filterset_fields = ["active"]
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name"]
    queryset = Department.objects.select_related("organisation")


class PetitionStepView(APIView):
    """Take one workflow step on a request visible to you: one URL per step of
    ``actions.STEPS`` (liaison/portal/api_urls.py), validated by the step's form."""

    step = None  # the step's name, given per URL by as_view(step=…)
    schema = Schema("petitions.openapi.StepSchema")

    @extend_schema(responses={200: PetitionDetailOut, **errors(400, 403, 404, 409)})
    def post(self, request, pk):
        step = STEPS[self.step]
        petition = access_petition(request.user, pk)
        if not actor_rights(request.user, petition) & step.rights:
            # In scope, but not theirs to do whatever the state (a handler accepting, a deputy
            # signing): 403. A step their role may take but the state refuses is a 409.
            raise PermissionDenied(_("You may not “%(action)s” this request.") % {"action": step.label})
        form = step.bind(petition, request_object(request), request.FILES) if step.form else None
        if form is not None and not form.is_valid():
            raise form_errors(form)
        try:
            petition = step.perform(petition, request.user, form.cleaned_data if form else {})
        except TransitionRefused as exc:
            raise refused(exc) from None
        return Response(PetitionDetailOut(petition, context={"request": request}).data)


# External platforms' callback ----------------------------------------------------------------


class CallbackIn(serializers.Serializer):
    callback_id = serializers.CharField(
        max_length=64, required=False, help_text="Unique per callback; defaults to the webhook-id header."
    )
    number = serializers.CharField(max_length=40)
    action = serializers.ChoiceField(choices=["sign", "reply", "return"])
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000)


_CALLBACK_ERRORS = {
    400: ValidationError,
    404: NotFound,
    409: lambda message: Conflict(message, code="transition_refused"),
}


class PlatformCallbackView(APIView):
    """A platform reports progress, signed the Standard Webhooks way with its callback secret
    (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``). The previous callback secret
    is accepted too while it is set. Deprecated, for one release: ``X-Liaison-Timestamp`` and
    ``X-Liaison-Signature`` (hex HMAC over ``"<timestamp>." + body``) with the legacy secret.
    A callback id seen before is answered as the first time, changing nothing."""

    permission_classes = [AllowAny]
    authentication_classes = []
    schema = Schema()

    @extend_schema(
        request=CallbackIn,
        parameters=[
            OpenApiParameter("webhook-id", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("webhook-timestamp", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("webhook-signature", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("X-Liaison-Timestamp", str, OpenApiParameter.HEADER, required=False, deprecated=True),
            OpenApiParameter("X-Liaison-Signature", str, OpenApiParameter.HEADER, required=False, deprecated=True),
        ],
        responses={
            200: inline_serializer(
                "CallbackOut", {"number": serializers.CharField(), "status": serializers.CharField()}
            ),
            **errors(400, 401, 404, 409),
        },
        description="200 also for a repeated callback id, with the first answer and `Idempotent-Replayed: true`.",
    )
    def post(self, request, slug):
        platform = get_object_or_404(ExternalPlatform, slug=slug, active=True)
        body = request.body
        if not self._signed(platform, request.headers, body):
            raise BadSignature
        try:
            payload = CallbackIn(data=json.loads(body.decode() or "{}"))
        except (ValueError, UnicodeDecodeError):
            raise ParseError(_("The body is not JSON.")) from None
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        callback_id = data.get("callback_id") or request.headers.get("webhook-id", "")
        if not callback_id or len(callback_id) > 64:
            raise ValidationError({"callback_id": [_("Give a callback id of at most 64 characters.")]})
        try:
            result, replayed = apply_callback(
                platform=platform,
                callback_id=callback_id,
                number=data["number"],
                action=data["action"],
                text=data.get("text", ""),
            )
        except CallbackRejected as exc:
            raise _CALLBACK_ERRORS[exc.status](exc.message) from None
        return Response(result, headers={"Idempotent-Replayed": "true"} if replayed else None)

    @staticmethod
    def _signed(platform, headers, body) -> bool:
        if "webhook-signature" in headers:
            return verify_standard(platform.callback_secrets, body, headers)
        legacy = headers.get("X-Liaison-Signature")
        return bool(legacy and verify(platform.secret, headers.get("X-Liaison-Timestamp"), body, legacy))
