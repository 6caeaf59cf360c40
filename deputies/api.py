from rest_framework import serializers, viewsets

from liaison.core.api import ScopedViewSetMixin

from .models import Person, ReceptionDay


class PersonOut(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    points = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "kind", "kind_label", "level", "employer", "title", "points"]

    def get_points(self, obj) -> list[str]:
        return sorted({s.point.code for s in obj.stations.all()})


class PersonViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """People the user may see: stationed at their points, or kept by their office."""

    serializer_class = PersonOut
    lookup_value_regex = r"\d+"
    filterset_fields = ["kind", "level"]
    search_fields = ["name", "employer"]
    ordering_fields = ["name"]
    ordering = ["name"]

    queryset = Person.objects.prefetch_related("stations__point")


class ReceptionDayOut(serializers.ModelSerializer):
    point = serializers.CharField(source="point.code")
    roster = serializers.SerializerMethodField()

    class Meta:
        model = ReceptionDay
        fields = ["id", "point", "date", "status", "roster", "visitors", "summary", "record_filled_at"]

    def get_roster(self, obj) -> list[dict]:
        return [
            {"person": a.person.name, "attended": a.attended, "signed_in_at": a.signed_in_at}
            for a in obj.assignments.all()
        ]


class ReceptionDayViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Reception days of the user's points, with rosters and attendance."""

    serializer_class = ReceptionDayOut
    lookup_value_regex = r"\d+"
    filterset_fields = ["status", "date"]
    ordering_fields = ["date"]
    ordering = ["-date"]

    queryset = ReceptionDay.objects.select_related("point").prefetch_related("assignments__person")
