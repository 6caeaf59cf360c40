import datetime as dt

from django.db.models import Count, Sum

from .models import ScoreEvent

PERIODS = ("month", "quarter", "year")


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the month, quarter or year containing ``day``."""
    if kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if kind == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first_month, 1)
        months = 3
    else:
        start, months = day.replace(day=1), 1
    year, month = start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1
    return start, dt.date(year, month, 1) - dt.timedelta(days=1)


def leaderboard(points, start: dt.date, end: dt.date, limit: int | None = None) -> list[dict]:
    """People ranked by points earned at ``points`` between ``start`` and ``end``."""
    rows = (
        ScoreEvent.objects.filter(point__in=points, occurred_on__range=(start, end))
        .values("person_id", "person__name", "person__kind")
        .annotate(total=Sum("points"), events=Count("id"))
        .order_by("-total", "person__name")
    )
    return list(rows[:limit] if limit else rows)


def person_record(person, start=None, end=None):
    """Every score event of a person, with its rule and source, newest first."""
    qs = ScoreEvent.objects.filter(person=person).select_related("rule", "point")
    if start:
        qs = qs.filter(occurred_on__gte=start)
    if end:
        qs = qs.filter(occurred_on__lte=end)
    return qs.order_by("-occurred_on", "id")


def top_scores(point, year: int, limit: int = 5) -> list[dict]:
    """The highest performance points earned at ``point`` in ``year``."""
    return list(
        ScoreEvent.objects.filter(point=point, occurred_on__year=year)
        .values("person__name")
        .annotate(total=Sum("points"))
        .order_by("-total", "person__name")[:limit]
    )
