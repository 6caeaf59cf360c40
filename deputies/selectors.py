"""Reads over people, stations and reception days for pages that show them."""

import datetime as dt

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from points.models import LiaisonPoint
from points.selectors import next_rule_date

from .models import Activity, DutyAssignment, EnterpriseLink, ReceptionDay, Station, Suggestion, Visit


def on_duty(point: LiaisonPoint, today: dt.date | None = None):
    """The point's people stationed now, heads first, with their person rows."""
    return Station.objects.current(today).filter(point=point).select_related("person").order_by("role", "person__name")


def next_reception_date(point: LiaisonPoint, today: dt.date | None = None) -> dt.date:
    """The next reception day on or after ``today``: a generated one if it exists (it may have
    been moved by hand), else the date the rule gives."""
    today = today or timezone.localdate()
    planned = (
        ReceptionDay.objects.filter(point=point, date__gte=today)
        .exclude(status=ReceptionDay.Status.CANCELLED)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    return planned or next_rule_date(point, today)


class NextReceptions:
    """``next_reception_date`` for a whole list in a constant number of queries: the planned
    days of every point in one, and the rule's date once per distinct rule (day of the month,
    moved or not), however many points share it."""

    def __init__(self, today: dt.date):
        self.today = today
        self._planned = None
        self._by_rule = {}

    def __call__(self, point) -> dt.date:
        if self._planned is None:
            self._planned = dict(
                ReceptionDay.objects.filter(date__gte=self.today)
                .exclude(status=ReceptionDay.Status.CANCELLED)
                .values("point_id")
                .annotate(first=Min("date"))
                .values_list("point_id", "first")
            )
        if point.pk in self._planned:
            return self._planned[point.pk]
        rule = (point.reception_day, point.reception_rule)
        if rule not in self._by_rule:
            self._by_rule[rule] = next_rule_date(point, self.today)
        return self._by_rule[rule]


def point_year_counts(point: LiaisonPoint, year: int) -> dict:
    """People stationed now, and the year's held activities and submitted suggestions, at one
    point (a planned or cancelled activity, a draft, is not yet work done)."""
    return {
        "people": Station.objects.current().filter(point=point).count(),
        "activities": Activity.objects.filter(point=point, date__year=year, status=Activity.Status.HELD).count(),
        "suggestions": Suggestion.objects.filter(point=point, filed_on__year=year).count(),
    }


def quarter_start(day: dt.date) -> dt.date:
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def my_enterprises(person, today: dt.date | None = None) -> list[dict]:
    """包挂: the enterprises ``person`` looks after, each with the last visit and the visits
    this quarter (one query)."""
    today = today or timezone.localdate()
    mine = Q(enterprise__visits__person=person)
    return list(
        EnterpriseLink.objects.filter(person=person)
        .values("enterprise_id", "enterprise__name", "enterprise__address")
        .annotate(
            last_visit=Max("enterprise__visits__date", filter=mine),
            this_quarter=Count(
                "enterprise__visits", filter=mine & Q(enterprise__visits__date__gte=quarter_start(today)), distinct=True
            ),
        )
        .order_by("last_visit", "enterprise__name")
    )


def visit_coverage(points, today: dt.date | None = None) -> list[dict]:
    """Per point: the enterprises its people (stationed now) look after, and how many of them
    were visited this quarter. Two queries whatever the number of points."""
    today = today or timezone.localdate()
    stationed = Station.objects.current(today).filter(point__in=points)
    linked = {}
    for point_id, enterprise_id in (
        EnterpriseLink.objects.filter(person__stations__in=stationed)
        .values_list("person__stations__point_id", "enterprise_id")
        .distinct()
    ):
        linked.setdefault(point_id, set()).add(enterprise_id)
    visited = {}
    for point_id, enterprise_id in (
        Visit.objects.filter(point__in=points, date__gte=quarter_start(today), date__lte=today)
        .values_list("point_id", "enterprise_id")
        .distinct()
    ):
        visited.setdefault(point_id, set()).add(enterprise_id)
    rows = []
    for point in points:
        ids = linked.get(point.pk, set())
        seen = visited.get(point.pk, set()) & ids
        rows.append(
            {
                "point": point,
                "linked": len(ids),
                "visited": len(seen),
                "percent": round(100 * len(seen) / len(ids)) if ids else 0,
            }
        )
    return rows


def chain_year_suggestions(chain, year: int) -> dict:
    """Suggestions filed in ``year`` from the points of ``chain``: the total, how many the
    addressed unit has answered, and the count by segment (of the point's host enterprise; None when
    the point has none). One aggregate query."""
    rows = list(
        Suggestion.objects.filter(point__chain=chain, filed_on__year=year)
        .values("point__host_enterprise__segment_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_segment: dict = {}
    for row in rows:
        key = row["point__host_enterprise__segment_id"]
        by_segment[key] = by_segment.get(key, 0) + row["n"]
    answered = (Suggestion.Status.ANSWERED, Suggestion.Status.RATED, Suggestion.Status.CLOSED)
    return {
        "filed": sum(r["n"] for r in rows),
        "answered": sum(r["n"] for r in rows if r["status"] in answered),
        "by_segment": by_segment,
    }


def seat_card_rows(day: ReceptionDay) -> list[dict]:
    """One card per person on ``day``'s roster, heads first: name, role (点长 for the point's
    head on that day, else the person's own: 市级人大代表, 议事代表, 企业网格员) and employer.
    Two queries."""
    heads = set(Station.objects.heads(day.date).filter(point_id=day.point_id).values_list("person_id", flat=True))
    cards = []
    for duty in DutyAssignment.objects.filter(reception_day=day).select_related("person").order_by("person__name"):
        person = duty.person
        roles = [str(Station.Role.HEAD.label)] if person.pk in heads else []
        cards.append(
            {
                "name": person.name,
                "roles": [*roles, person.role_label],
                "employer": person.employer,
                "is_head": person.pk in heads,
            }
        )
    return sorted(cards, key=lambda card: not card["is_head"])
