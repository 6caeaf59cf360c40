"""/api/v1/: one router, the schema and its browsable docs (assets served locally)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle

from deputies.api import PersonViewSet, ReceptionDayViewSet
from liaison.core import ratelimit
from liaison.core.api import request_object
from liaison.core.auth import THROTTLED_MESSAGE, login_blocked, login_failed
from petitions.actions import STEPS
from petitions.api import PetitionStepView, PetitionViewSet, PlatformCallbackView, PublicRequestViewSet
from petitions.workflow import ENTERPRISE

from .api import PointViewSet


class ClientRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed on the real client address (see ``ratelimit.client_ip``)."""

    def get_ident(self, request):
        return ratelimit.client_ip(request)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token: the same failed-login throttle as
    the login pages, plus a request rate per client address."""

    throttle_classes = [ClientRateThrottle]
    throttle_scope = "token"

    def post(self, request, *args, **kwargs):
        username = request_object(request).get("username")
        if login_blocked(request, username):
            raise Throttled(detail=str(THROTTLED_MESSAGE))
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
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("platforms/<slug:slug>/callback/", PlatformCallbackView.as_view(), name="platform-callback"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the docs work under our CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
