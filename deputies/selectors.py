"""Reads over people, stations and reception days for pages that show them."""

import datetime as dt

from django.utils import timezone

from points.models import LiaisonPoint
from points.selectors import reception_date_in_month

from .models import Activity, ReceptionDay, Station, Suggestion


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
