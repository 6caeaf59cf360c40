from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from deputies.models import Person
from liaison.core.ledger import Column, Ledger, register

from .models import ScoreEvent

_KINDS = dict(Person.Kind.choices)


def score_rows(points, start, end):
    rows = (
        ScoreEvent.objects.filter(point__in=points, occurred_on__range=(start, end))
        .values("person__name", "person__kind", "point__name")
        .annotate(total=Sum("points"), events=Count("id"))
        .order_by("point__name", "-total", "person__name")
    )
    for r in rows:
        yield [r["person__name"], str(_KINDS.get(r["person__kind"], "")), r["point__name"], r["total"], r["events"]]


register(
    Ledger(
        slug="performance-points",
        title=_("Ledger of performance points"),
        columns=[
            Column(_("Name"), 12),
            Column(_("Role"), 14),
            Column(_("Point"), 26),
            Column(_("Points"), 8, "number"),
            Column(_("Records"), 8, "number"),
        ],
        rows=score_rows,
        permission="scoring.view_scoreevent",
        order=50,
    )
)
