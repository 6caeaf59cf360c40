from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from deputies.selectors import next_reception_date
from liaison.core.api import errors
from points.models import LiaisonPoint

"""Points in the API: public, with the next reception day from the deputies app."""


class PointOut(serializers.ModelSerializer):
    chain = serializers.CharField(source="chain.name")
    host_enterprise = serializers.CharField(source="host_enterprise.name", allow_null=True, default=None)
    submit_url = serializers.SerializerMethodField()
    next_reception = serializers.SerializerMethodField()

    class Meta:
        model = LiaisonPoint
        fields = ["code", "name", "chain", "host_enterprise", "address", "opened_on", "submit_url", "next_reception"]

    def get_submit_url(self, obj) -> str:
        return obj.qr_url

    def get_next_reception(self, obj) -> str:
        return next_reception_date(obj).isoformat()


@extend_schema(responses={200: PointOut, **errors(404)})
class PointViewSet(viewsets.ReadOnlyModelViewSet):
    """Active liaison points; public."""

    permission_classes = [AllowAny]
    serializer_class = PointOut
    lookup_field = "code"
    search_fields = ["name", "address"]
    ordering_fields = ["name", "opened_on"]
    ordering = ["name"]
    queryset = LiaisonPoint.objects.active().select_related("chain", "host_enterprise")
