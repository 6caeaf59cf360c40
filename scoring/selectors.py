import datetime as dt

from django.db.models import Count, Q, Sum

from deputies.models import Activity, DutyAssignment, ReceptionDay, Station, Suggestion, Visit
from petitions.models import OPEN_STATUSES, Petition, Satisfaction, Status

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


def person_summary(person, start: dt.date, end: dt.date) -> dict:
    """履职档案 summary of ``person`` over [start, end]: stations, reception days attended of
    those rostered and held, requests taken and their outcomes, suggestions and their answers,
    inspections attended, visits, and points by rule. A fixed number of queries."""
    duties = DutyAssignment.objects.filter(person=person, reception_day__date__range=(start, end))
    requests = Petition.objects.filter(deputy=person, submitted_at__date__range=(start, end))
    suggestions = Suggestion.objects.filter(authors=person, filed_on__range=(start, end))
    return {
        "stations": list(
            Station.objects.filter(person=person, since__lte=end)
            .filter(Q(until__isnull=True) | Q(until__gte=start))
            .select_related("point")
        ),
        "reception": duties.aggregate(
            rostered=Count("pk"),
            held=Count("pk", filter=Q(reception_day__status=ReceptionDay.Status.HELD)),
            attended=Count("pk", filter=Q(reception_day__status=ReceptionDay.Status.HELD, signed_in_at__isnull=False)),
        ),
        "requests": requests.aggregate(
            taken=Count("pk"),
            resolved=Count("pk", filter=Q(status__in=[Status.RESOLVED, Status.CLOSED])),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        ),
        "suggestions": list(suggestions.order_by("filed_on")),
        "inspections": list(
            Activity.objects.filter(attendees=person, status=Activity.Status.HELD, date__range=(start, end))
            .select_related("point")
            .order_by("date")
        ),
        "visits": Visit.objects.filter(person=person, date__range=(start, end)).aggregate(
            count=Count("pk"), enterprises=Count("enterprise", distinct=True)
        ),
        "by_rule": list(
            ScoreEvent.objects.filter(person=person, occurred_on__range=(start, end))
            .values("rule__description")
            .annotate(count=Count("pk"), total=Sum("points"))
            .order_by("-total", "rule__description")
        ),
    }
