"""Routing suggestion: where a request is best dispatched, from where its like were handled.

The departments that answered the most past requests of the same category at points of the
same organisation come first, recent answers weighing more than old ones (a department that
took a matter over last quarter outranks one that handled it three years ago). Requests a
department returned as misrouted do not count: a return clears the department. One grouped
query over the organisation's points, within ``WINDOW``, so it reads a bounded part of the
table whatever its size.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Subquery, Sum, Value, When
from django.utils import timezone

from points.models import LiaisonPoint

from .models import Petition, Status

WINDOW = dt.timedelta(days=730)  # older answers say little about who handles it now
# (age below, weight): answered in the last quarter counts three times, in the last year twice.
WEIGHTS = [(dt.timedelta(days=92), 3), (dt.timedelta(days=365), 2)]
TOP = 3  # how many are marked as suggested


@dataclass(frozen=True)
class Suggestion:
    department_id: int
    handled: int  # similar requests it answered within the window
    score: int  # the same, weighted by recency


def suggestions(petition: Petition, now=None) -> list[Suggestion]:
    """Departments that answered requests like ``petition`` (same category, points of the same
    organisation), best first; ties go to the one with more answers, then the lower id."""
    now = now or timezone.now()
    weight = Case(
        *(When(resolved_at__gte=now - age, then=Value(points)) for age, points in WEIGHTS),
        default=Value(1),
        output_field=IntegerField(),
    )
    rows = (
        Petition.objects.filter(
            point__organisation_id=Subquery(
                LiaisonPoint.objects.filter(pk=petition.point_id).values("organisation_id")[:1]
            ),
            category=petition.category,
            status__in=[Status.RESOLVED, Status.CLOSED],
            department__isnull=False,
            resolved_at__gte=now - WINDOW,
        )
        .exclude(pk=petition.pk)
        .values("department")
        .annotate(handled=Count("id"), score=Sum(weight))
        .order_by("-score", "-handled", "department")
    )
    return [Suggestion(row["department"], row["handled"], row["score"]) for row in rows]


def rank(departments, petition: Petition, now=None):
    """``departments`` (those a request may go to) ordered by ``suggestions``, the rest by name,
    and {department id: similar requests answered} for the first ``TOP`` of them: what the
    dispatch form and the API's list of departments show."""
    ranked = suggestions(petition, now)
    if not ranked:
        return departments.order_by("name"), {}
    allowed = set(departments.filter(pk__in=[s.department_id for s in ranked]).values_list("pk", flat=True))
    ranked = [s for s in ranked if s.department_id in allowed]
    order = Case(
        *(When(pk=s.department_id, then=Value(position)) for position, s in enumerate(ranked)),
        default=Value(len(ranked)),
        output_field=IntegerField(),
    )
    return departments.order_by(order, "name"), {s.department_id: s.handled for s in ranked[:TOP]}
