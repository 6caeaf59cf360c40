"""Reads for the public pages and the display screen; cheap and cached.

Request figures are read through the reverse relation ``point.petitions`` by field names only,
so this app needs no import of the petitions app, which depends on it.
"""

import calendar
import datetime as dt
import re

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from liaison.core.workdays import next_workday

from .models import LiaisonPoint

FIGURES_TTL = 300


def reception_date_in_month(point: LiaisonPoint, month: dt.date) -> dt.date:
    """The point's reception day in ``month`` by its rule: the day of the month (the 15th by
    default), moved to the next working day if the rule says so and it is a rest day."""
    last = calendar.monthrange(month.year, month.month)[1]
    date = dt.date(month.year, month.month, min(point.reception_day, last))
    if point.reception_rule == LiaisonPoint.ReceptionRule.NEXT_WORKDAY:
        date = next_workday(date)
    return date


def next_reception_date(point: LiaisonPoint, today: dt.date | None = None) -> dt.date:
    """The next reception day on or after ``today``: a generated one if it exists (it may have
    been moved by hand), else the date the rule gives."""
    today = today or timezone.localdate()
    planned = (
        point.reception_days.filter(date__gte=today)
        .exclude(status="cancelled")
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


def point_figures(point: LiaisonPoint, year: int | None = None) -> dict:
    """The point's figures for the year: requests received and resolved, people stationed,
    activities and suggestions. Cached for a few minutes."""
    year = year or timezone.localdate().year

    def compute():
        requests = point.petitions.filter(submitted_at__year=year).aggregate(
            received=Count("id"), resolved=Count("id", filter=Q(resolved_at__isnull=False))
        )
        return {
            "year": year,
            "received": requests["received"],
            "resolved": requests["resolved"],
            "people": point.stations.current().count(),
            "activities": point.activities.filter(date__year=year).count(),
            "suggestions": point.suggestions.filter(filed_on__year=year).count(),
        }

    return cache.get_or_set(f"point-figures:{point.pk}:{year}", compute, FIGURES_TTL)


_DIGITS = re.compile(r"\d{5,}")


def anonymise(title: str, names: list[str]) -> str:
    """A title fit for a public screen: enterprise names and long numbers taken out."""
    for name in sorted(filter(None, names), key=len, reverse=True):
        title = title.replace(name, "某企业")
    return _DIGITS.sub("***", title)


SCREEN_TTL = 60


def screen_data(point: LiaisonPoint) -> dict:
    """Everything the display screen's panel shows, as plain data cached for a minute, so
    a TV polling every minute costs one cache read."""

    def compute():
        stations = point.stations.current().select_related("person").order_by("role", "person__name")
        return {
            "figures": point_figures(point),
            "next_reception": next_reception_date(point),
            "roster": [
                {"name": s.person.name, "is_head": s.role == "head", "role": s.get_role_display()} for s in stations
            ],
            "resolved": recently_resolved(point),
            "top": top_scores(point),
        }

    return cache.get_or_set(f"screen:{point.pk}", compute, SCREEN_TTL)


def top_scores(point: LiaisonPoint, limit: int = 5) -> list[dict]:
    """This year's highest performance points at the point (score events, by reverse name)."""
    year = timezone.localdate().year
    return list(
        point.score_events.filter(occurred_on__year=year)
        .values("person__name")
        .annotate(total=Sum("points"))
        .order_by("-total", "person__name")[:limit]
    )


def recently_resolved(point: LiaisonPoint, limit: int = 6) -> list[dict]:
    rows = (
        point.petitions.filter(resolved_at__isnull=False)
        .order_by("-resolved_at")
        .values("title", "enterprise_name", "resolved_at")[:limit]
    )
    return [{"title": anonymise(r["title"], [r["enterprise_name"]]), "resolved_at": r["resolved_at"]} for r in rows]
