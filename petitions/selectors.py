"""Report reads over requests: the statistics page and its figures."""

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from deputies.models import Activity, Station, Suggestion
from liaison.core.workdays import WorkCalendar

from .models import OPEN_STATUSES, Category, Petition, PetitionEvent, Satisfaction, Status


def submitted_between(start: dt.date, end: dt.date) -> dict:
    """A filter on submission time between two local dates, inclusive, that can use the index
    (``submitted_at__date`` would compute a date for every row)."""
    tz = timezone.get_current_timezone()
    return {
        "submitted_at__gte": dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        "submitted_at__lt": dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    }


def _working_days(pairs: list[tuple[dt.date, dt.date, int]]) -> float | None:
    """Average working days from submission to resolution over (submitted, resolved, count)."""
    if not pairs:
        return None
    calendar = WorkCalendar(min(p[0] for p in pairs), max(p[1] for p in pairs))
    total = count = 0
    for submitted, resolved, n in pairs:
        days, day = 0, submitted
        while day < resolved:
            day += dt.timedelta(days=1)
            days += calendar.is_workday(day)
        total += days * n
        count += n
    return round(total / count, 1)


def statistics(points, start: dt.date, end: dt.date, today: dt.date | None = None) -> dict:
    """Figures of ``points`` for requests submitted between ``start`` and ``end``.

    A fixed number of aggregate queries whatever the number of rows: received, accepted,
    resolved on site, dispatched, resolved, on time (resolved and never escalated), average
    handling time in working days, satisfaction, overdue now, and breakdowns by category and
    by department; plus the points' people, inspections and suggestions.
    """
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    point_ids = list(points.values_list("pk", flat=True))
    requests = Petition.objects.filter(point__in=point_ids, **submitted_between(start, end))
    resolved_q = Q(resolved_at__isnull=False)
    totals = requests.aggregate(
        received=Count("id"),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        dispatched=Count("id", filter=Q(dispatched_at__isnull=False)),
        resolved=Count("id", filter=resolved_q),
        on_time=Count("id", filter=resolved_q & Q(escalation_level=0)),
        satisfied=Count("id", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        basic=Count("id", filter=Q(satisfaction=Satisfaction.BASIC)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        rejected=Count("id", filter=Q(status__in=[Status.REJECTED, Status.MERGED])),
    )
    # One pass over the requests' timelines for both figures.
    on_site, rate = PetitionEvent.Action.RESOLVE_ON_SITE, PetitionEvent.Action.RATE
    totals |= PetitionEvent.objects.filter(petition__in=requests, action__in=[on_site, rate]).aggregate(
        resolved_on_site=Count("petition", distinct=True, filter=Q(action=on_site)),
        unsatisfied=Count("id", filter=Q(action=rate, to_status=Status.ACCEPTED)),
    )
    rated = totals["satisfied"] + totals["basic"] + totals["unsatisfied"]
    totals["satisfaction_rate"] = round(100 * (totals["satisfied"] + totals["basic"]) / rated, 1) if rated else None
    totals["on_time_rate"] = round(100 * totals["on_time"] / totals["resolved"], 1) if totals["resolved"] else None
    pairs = list(
        requests.filter(resolved_q)
        .annotate(s=TruncDate("submitted_at", tzinfo=tz), r=TruncDate("resolved_at", tzinfo=tz))
        .values_list("s", "r")
        .annotate(n=Count("id"))
        .order_by()
    )
    totals["average_workdays"] = _working_days(pairs)
    labels = dict(Category.choices)
    by_category = [
        {"label": str(labels.get(row["category"], row["category"])), "value": row["n"]}
        for row in requests.values("category").annotate(n=Count("id")).order_by("-n", "category")
    ]
    by_department = [
        {"label": row["department__name"], "value": row["n"], "resolved": row["done"]}
        for row in requests.filter(department__isnull=False)
        .values("department__name")
        .annotate(n=Count("id"), done=Count("id", filter=resolved_q))
        .order_by("-n", "department__name")
    ]
    totals["people"] = Station.objects.current(today).filter(point__in=points).count()
    totals["inspections"] = Activity.objects.filter(
        point__in=points, kind=Activity.Kind.INSPECTION, date__range=(start, end)
    ).count()
    totals["suggestions"] = Suggestion.objects.filter(point__in=points, filed_on__range=(start, end)).count()
    return {"totals": totals, "by_category": _bars(by_category), "by_department": _bars(by_department)}


BAR_HEIGHT = 34  # px per bar in the server-drawn SVG charts


def _bars(rows: list[dict]) -> dict:
    top = max((r["value"] for r in rows), default=0)
    for r in rows:
        r["percent"] = round(100 * r["value"] / top) if top else 0
    return {"rows": rows, "height": len(rows) * BAR_HEIGHT}


def point_year_requests(point, year: int) -> dict:
    """Requests a point received in ``year`` and how many of them are resolved."""
    return Petition.objects.filter(point=point, submitted_at__year=year).aggregate(
        received=Count("id"), resolved=Count("id", filter=Q(resolved_at__isnull=False))
    )


def recently_resolved(point, limit: int = 6) -> list[dict]:
    """The point's latest resolved requests that staff wrote a public summary for: only that
    summary and the date, never the enterprise's own words."""
    return list(
        Petition.objects.filter(point=point, resolved_at__isnull=False)
        .exclude(public_summary="")
        .order_by("-resolved_at")
        .values("public_summary", "resolved_at")[:limit]
    )


def chain_year_requests(chain, year: int) -> dict:
    """Requests filed at the points of ``chain`` in ``year``, anonymised: counts only, never an
    enterprise, a contact or a word of a request.

    By segment (the enterprise's segment, else that of the point's host enterprise; None when
    neither is known) and category, with the totals, the resolved share in per cent and the
    average handling time in working days. Two aggregate queries whatever the number of rows.
    """
    tz = timezone.get_current_timezone()
    requests = Petition.objects.filter(
        point__chain=chain, **submitted_between(dt.date(year, 1, 1), dt.date(year, 12, 31))
    )
    resolved_q = Q(resolved_at__isnull=False)
    rows = list(
        requests.annotate(segment=Coalesce("enterprise__segment_id", "point__host_enterprise__segment_id"))
        .values("segment", "category")
        .annotate(n=Count("id"), done=Count("id", filter=resolved_q))
        .order_by()
    )
    by_segment: dict = {}
    by_category: dict = {}
    for row in rows:
        for table, key in ((by_segment, row["segment"]), (by_category, row["category"])):
            cell = table.setdefault(key, {"received": 0, "resolved": 0})
            cell["received"] += row["n"]
            cell["resolved"] += row["done"]
    received = sum(r["n"] for r in rows)
    resolved = sum(r["done"] for r in rows)
    pairs = list(
        requests.filter(resolved_q)
        .annotate(s=TruncDate("submitted_at", tzinfo=tz), r=TruncDate("resolved_at", tzinfo=tz))
        .values_list("s", "r")
        .annotate(n=Count("id"))
        .order_by()
    )
    labels = dict(Category.choices)
    categories = [
        {"label": str(labels.get(key, key)), "value": cell["received"], "resolved": cell["resolved"]}
        for key, cell in sorted(by_category.items(), key=lambda item: (-item[1]["received"], item[0]))
    ]
    return {
        "received": received,
        "resolved": resolved,
        "resolved_share": round(100 * resolved / received, 1) if received else None,
        "average_workdays": _working_days(pairs),
        "by_segment": by_segment,
        "by_category": _bars(categories),
    }
