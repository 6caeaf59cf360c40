from rest_framework import serializers, viewsets

from liaison.core.api import ModelSerializer, ScopedViewSetMixin
from liaison.core.apischema import Schema

from .models import Person, ReceptionDay


class PersonOut(ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    points = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "kind", "kind_label", "level", "employer", "title", "points"]

    def get_points(self, obj) -> list[str]:
        return sorted({s.point.code for s in obj.stations.all()})


class PersonViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """People the user may see: stationed at their points, or kept by their office."""

    schema = Schema()
    serializer_class = PersonOut
    lookup_value_regex = r"\d+"
    filterset_fields = ["kind", "level"]
    search_fields = ["name", "employer"]
    ordering_fields = ["name"]
    ordering = ["name"]

    queryset = Person.objects.prefetch_related("stations__point")


class RosterOut(serializers.Serializer):
    person = serializers.CharField(source="person.name")
    attended = serializers.BooleanField(allow_null=True)
    # ISO 8601 with the portal's offset (+08:00), like every time the API gives; a plain dict
    # would have given UTC.
    signed_in_at = serializers.DateTimeField(allow_null=True)


class ReceptionDayOut(ModelSerializer):
    point = serializers.CharField(source="point.code")
    roster = RosterOut(source="assignments", many=True, read_only=True)

    class Meta:
        model = ReceptionDay
        fields = ["id", "point", "date", "status", "roster", "visitors", "summary", "record_filled_at"]


class ReceptionDayViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Reception days of the user's points, with rosters and attendance."""

    schema = Schema()
    serializer_class = ReceptionDayOut
    lookup_value_regex = r"\d+"
    filterset_fields = ["status", "date"]
    search_fields = ["point__name", "point__code", "summary"]
    ordering_fields = ["date"]
    ordering = ["-date"]

    queryset = ReceptionDay.objects.select_related("point").prefetch_related("assignments__person")
