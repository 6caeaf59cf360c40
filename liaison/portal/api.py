"""Points and enterprises in the API: points are public, with the next reception day from the
deputies app; enterprises are listed for staff by scope, and per point for the public form."""

import datetime as dt

from django.utils import timezone
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from deputies.selectors import NextReceptions
from liaison.core.api import ModelSerializer, ScopedViewSetMixin
from liaison.core.apischema import Schema, extend_schema
from petitions.forms import linked_enterprises
from points.models import Enterprise, LiaisonPoint


class PointOut(ModelSerializer):
    chain = serializers.CharField(source="chain.name")
    host_enterprise = serializers.CharField(source="host_enterprise.name", allow_null=True, default=None)
    submit_url = serializers.SerializerMethodField()
    next_reception = serializers.SerializerMethodField()

    class Meta:
        model = LiaisonPoint
        fields = ["code", "name", "chain", "host_enterprise", "address", "opened_on", "submit_url", "next_reception"]

    def get_submit_url(self, obj) -> str:
        return obj.qr_url

    def get_next_reception(self, obj) -> dt.date:
        return self.context["next_reception"](obj)


class EnterpriseOut(ModelSerializer):
    chain = serializers.CharField(source="chain.name")

    class Meta:
        model = Enterprise
        fields = ["id", "name", "chain", "chain_role"]


class PointViewSet(viewsets.ReadOnlyModelViewSet):
    """Active liaison points; public."""

    permission_classes = [AllowAny]
    schema = Schema()
    serializer_class = PointOut
    lookup_field = "code"
    search_fields = ["name", "address"]
    ordering_fields = ["name", "opened_on"]
    ordering = ["name"]
    queryset = LiaisonPoint.objects.active().select_related("chain", "host_enterprise")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "next_reception": NextReceptions(timezone.localdate())}

    @extend_schema(
        responses={200: EnterpriseOut(many=True)},
        filters=False,
        description="The enterprises a request at this point may name (`enterprise` when filing); public, as on "
        "the filing form. Others are typed as `enterprise_name`.",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def enterprises(self, request, code):
        point = self.get_object()
        return Response(EnterpriseOut(linked_enterprises(point).select_related("chain"), many=True).data)


class EnterpriseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Enterprises visible to you: registered by your office, hosting or looked after by your
    points (``Enterprise.objects.visible_to``)."""

    schema = Schema()
    serializer_class = EnterpriseOut
    lookup_value_regex = r"\d+"
    filterset_fields = ["chain_role"]
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name"]
    queryset = Enterprise.objects.select_related("chain")
