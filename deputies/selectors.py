"""Reads over people, stations and reception days for pages that show them."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from points.models import LiaisonPoint
from points.selectors import reception_date_in_month

from .models import Activity, DutyAssignment, ReceptionDay, Station, Suggestion


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
    if planned:
        return planned
    year, month = today.year, today.month
    for _ in range(2):
        date = reception_date_in_month(point, dt.date(year, month, 1))
        if date >= today:
            return date
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: a reception day falls within two months")


def point_year_counts(point: LiaisonPoint, year: int) -> dict:
    """People stationed now, and the year's activities and suggestions, at one point."""
    return {
        "people": Station.objects.current().filter(point=point).count(),
        "activities": Activity.objects.filter(point=point, date__year=year).count(),
        "suggestions": Suggestion.objects.filter(point=point, filed_on__year=year).count(),
    }


def chain_year_suggestions(chain, year: int) -> dict:
    """Suggestions filed in ``year`` from the points of ``chain``: the total, how many were
    adopted or implemented, and the count by segment (of the point's host enterprise; None when
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
    taken_up = (Suggestion.Status.ADOPTED, Suggestion.Status.IMPLEMENTED)
    return {
        "filed": sum(r["n"] for r in rows),
        "taken_up": sum(r["n"] for r in rows if r["status"] in taken_up),
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
            {"name": person.name, "roles": [*roles, person.role_label], "employer": person.employer,
             "is_head": person.pk in heads}
        )  # fmt: skip
    return sorted(cards, key=lambda card: not card["is_head"])
