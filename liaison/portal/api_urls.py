"""/api/v1/: one router, the schema and its browsable docs (assets served locally). Every view
answers in the caller's Accept-Language (``in_callers_language``)."""

from django.urls import URLResolver, include, path
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle

from deputies.api import PersonViewSet, ReceptionDayViewSet
from liaison.core import ratelimit
from liaison.core.api import in_callers_language, request_object
from liaison.core.apischema import ProblemTypeView, Schema, imported_view
from liaison.core.auth import THROTTLED_MESSAGE, login_blocked, login_failed
from liaison.core.auth import WINDOW as LOGIN_WINDOW
from petitions.actions import STEPS
from petitions.api import (
    AttachmentFileView,
    DepartmentViewSet,
    PetitionStepView,
    PetitionViewSet,
    PlatformCallbackView,
    PublicRequestViewSet,
)
from petitions.workflow import ENTERPRISE

from .api import EnterpriseViewSet, PointViewSet


class ClientRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed on the real client address (see ``ratelimit.client_ip``)."""

    def get_ident(self, request):
        return ratelimit.client_ip(request)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token: the same failed-login throttle as
    the login pages, plus a request rate per client address."""

    throttle_classes = [ClientRateThrottle]
    throttle_scope = "token"
    schema = Schema()

    def post(self, request, *args, **kwargs):
        username = request_object(request).get("username")
        if login_blocked(request, username):
            raise Throttled(wait=LOGIN_WINDOW, detail=str(THROTTLED_MESSAGE))
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            login_failed(request, username)
            raise ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


router = DefaultRouter()
router.register("points", PointViewSet, basename="point")
router.register("public/requests", PublicRequestViewSet, basename="public-request")
router.register("requests", PetitionViewSet, basename="request")
router.register("people", PersonViewSet, basename="person")
router.register("reception-days", ReceptionDayViewSet, basename="reception-day")
router.register("departments", DepartmentViewSet, basename="department")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")

urlpatterns = [
    path("", include(router.urls)),
    # One endpoint per workflow step of the staff, e.g. /requests/7/resolve-on-site/.
    *(
        path(
            f"requests/<int:pk>/{step.url}/", PetitionStepView.as_view(step=name), name=f"request-transition-{step.url}"
        )
        for name, step in STEPS.items()
        if step.rights - {ENTERPRISE}
    ),
    path(
        "requests/<int:pk>/attachments/<int:attachment>/", AttachmentFileView.as_view(), name="request-attachment-file"
    ),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("platforms/<slug:slug>/callback/", PlatformCallbackView.as_view(), name="platform-callback"),
    path("problems/<slug:code>/", ProblemTypeView.as_view(), name="problem-type"),
    path("schema/", imported_view("drf_spectacular.views.SpectacularAPIView"), name="schema"),
    # The split view serves its start-up script as a file, so the docs work under our CSP.
    path(
        "docs/",
        imported_view("liaison.core.apidocs.DocsView", url_name="schema"),
        name="api-docs",
    ),
]


def _in_callers_language(patterns) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _in_callers_language(pattern.url_patterns)
        else:
            pattern.callback = in_callers_language(pattern.callback)


_in_callers_language(urlpatterns)
