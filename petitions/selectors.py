"""Report reads over requests: the statistics page and its figures."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from deputies.models import Activity, Station, Suggestion
from points.models import LiaisonPoint

from .models import FIGURES, Category, Department, Petition
from .rollups import figure_sums


def submitted_between(start: dt.date, end: dt.date) -> dict:
    """A filter on submission time between two local dates, inclusive, that can use the index
    (``submitted_at__date`` would compute a date for every row)."""
    tz = timezone.get_current_timezone()
    return {
        "submitted_at__gte": dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        "submitted_at__lt": dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _rates(cell: dict) -> dict:
    """The shares a row of summed figures is judged by, in per cent (None when nothing counts)."""
    rated = cell["satisfied"] + cell["basic"] + cell["unsatisfied"]
    return {
        "on_time_rate": _rate(cell["on_time"], cell["resolved"]),
        "satisfaction_rate": _rate(cell["satisfied"] + cell["basic"], rated),
        "signed_on_time_rate": _rate(cell["signed_on_time"], cell["dispatched"]),
        "replied_on_time_rate": _rate(cell["replied_on_time"], cell["dispatched"]),
        "reopen_rate": _rate(cell["reopened"], cell["received"]),
        "resolved_rate": _rate(cell["resolved"], cell["received"]),
        "average_workdays": round(cell["workdays"] / cell["resolved"], 1) if cell["resolved"] else None,
    }


GROUPINGS = {
    "totals": (),
    "month": ("month",),
    "category": ("category",),
    "department": ("department",),
    "point": ("point",),
}


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def monthly_trend(sums: dict, start: dt.date, end: dt.date) -> list[dict]:
    """One row per month of the period (months without requests too), oldest first."""
    empty = dict.fromkeys(FIGURES, 0)
    return [{"month": month, **(cell := sums.get((month,), empty)), **_rates(cell)} for month in _months(start, end)]


def department_ranking(sums: dict) -> list[dict]:
    """Departments that were sent requests, best first: on-time reply, then on-time sign, then
    satisfaction, then fewer reopened. A request reopened (重办) leaves its department until it
    is dispatched again."""
    names = dict(Department.objects.filter(pk__in=[key[0] for key in sums if key[0]]).values_list("pk", "name"))
    rows = [
        {"name": names[key[0]], **cell, **_rates(cell)}
        for key, cell in sums.items()
        if key[0] in names and cell["dispatched"]
    ]
    return _ranked(rows, ("replied_on_time_rate", "signed_on_time_rate", "satisfaction_rate", "-reopen_rate"))


def point_ranking(sums: dict, points) -> list[dict]:
    """Points of ``points`` (the queryset the sums were taken over) that received requests, best
    first: on-time rate, then satisfaction, then the share resolved, then the number received."""
    # Names through the scope's own query, not a list of thousands of ids as parameters.
    names = dict(points.values_list("pk", "name"))
    rows = [{"name": names[key[0]], **cell, **_rates(cell)} for key, cell in sums.items() if key[0] in names]
    return _ranked(rows, ("on_time_rate", "satisfaction_rate", "resolved_rate", "received"))


def _ranked(rows: list[dict], order: tuple[str, ...]) -> list[dict]:
    def key(row):
        # Best first; a share that cannot be computed (None) ranks after every number.
        out = []
        for name in order:
            value = row[name.lstrip("-")]
            out.append(float("inf") if value is None else (value if name.startswith("-") else -value))
        return (*out, row["name"])

    rows.sort(key=key)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def statistics(points, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> dict:
    """Figures of ``points`` for requests submitted between ``start`` and ``end``: totals, the
    monthly trend, breakdowns by category and department, and the department and point rankings.

    Summed from the daily roll-ups (``petitions.rollups``), exact now: a fixed number of
    aggregate queries whatever the number of requests; plus the points' requests overdue now
    (whenever submitted), people, inspections and suggestions."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sums = figure_sums(points, start, end, GROUPINGS)
    totals = {**sums["totals"][()]}
    totals |= _rates(totals)
    # A state of now, not of the period: every request of these points past its deadline, as the
    # work desk counts it, read from the index of open requests by point and deadline alone.
    totals["overdue"] = Petition.objects.filter(point__in=points).overdue(now).count()
    labels = dict(Category.choices)
    by_category = [
        {"label": str(labels.get(key[0], key[0])), "value": cell["received"]}
        for key, cell in sorted(sums["category"].items(), key=lambda item: (-item[1]["received"], item[0]))
    ]
    departments = department_ranking(sums["department"])
    by_department = [
        {"label": row["name"], "value": row["received"], "resolved": row["resolved"]}
        for row in sorted(departments, key=lambda row: (-row["received"], row["name"]))
    ]
    totals["people"] = Station.objects.current(today).filter(point__in=points).count()
    totals["inspections"] = Activity.objects.filter(
        point__in=points, kind=Activity.Kind.INSPECTION, date__range=(start, end)
    ).count()
    totals["suggestions"] = Suggestion.objects.filter(point__in=points, filed_on__range=(start, end)).count()
    trend = monthly_trend(sums["month"], start, end)
    return {
        "totals": totals,
        "by_category": _bars(by_category),
        "by_department": _bars(by_department),
        "trend": trend,
        "trend_charts": trend_charts(trend),
        "departments": departments,
        "points": point_ranking(sums["point"], points),
    }


# The trend charts' drawing area, in SVG user units (the viewBox scales it to the page).
CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 640, 220, 40, 30


def trend_charts(trend: list[dict]) -> dict:
    """Geometry of the two monthly charts, drawn by the template as plain SVG (prints as it
    shows, no script): received and resolved as paired bars, on-time and satisfaction rates as
    lines over 0–100 %."""
    plot_w, plot_h = CHART_WIDTH - CHART_LEFT - 10, CHART_HEIGHT - CHART_BOTTOM - 10
    step = plot_w / max(len(trend), 1)
    top = max((row["received"] for row in trend), default=0) or 1
    bar = max(min(step / 3, 24), 2)
    months, lines = [], {"on_time_rate": [], "satisfaction_rate": []}
    for i, row in enumerate(trend):
        x = CHART_LEFT + step * i + step / 2
        months.append(
            {
                "label": f"{row['month'].month}",
                "x": round(x, 1),
                "received": row["received"],
                "resolved": row["resolved"],
                "received_h": round(plot_h * row["received"] / top, 1),
                "resolved_h": round(plot_h * row["resolved"] / top, 1),
                "received_x": round(x - bar, 1),
                "resolved_x": round(x, 1),
            }
        )
        for name, points in lines.items():
            if row[name] is not None:
                points.append((round(x, 1), round(10 + plot_h * (1 - row[name] / 100), 1), row[name]))
    base = 10 + plot_h
    for month in months:
        month["received_y"] = round(base - month["received_h"], 1)
        month["resolved_y"] = round(base - month["resolved_h"], 1)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "base": base,
        "label_y": base + 18,
        "bar": round(bar, 1),
        "top": top,
        "months": months,
        "lines": {name: {"path": " ".join(f"{x},{y}" for x, y, _ in pts), "dots": pts} for name, pts in lines.items()},
        "grid": [{"y": round(10 + plot_h * (1 - p / 100), 1), "label": p} for p in (0, 50, 100)],
    }


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
    average handling time in working days. Summed from the daily roll-ups: one aggregate over a
    year of rows, not a scan of the year's requests."""
    sums = figure_sums(
        LiaisonPoint.objects.filter(chain=chain),
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
        {"cells": ("segment", "category")},
        names=("received", "resolved", "workdays"),
    )["cells"]
    by_segment: dict = {}
    by_category: dict = {}
    for (segment, category), cell in sums.items():
        for table, key in ((by_segment, segment), (by_category, category)):
            counts = table.setdefault(key, {"received": 0, "resolved": 0})
            counts["received"] += cell["received"]
            counts["resolved"] += cell["resolved"]
    received = sum(cell["received"] for cell in sums.values())
    resolved = sum(cell["resolved"] for cell in sums.values())
    workdays = sum(cell["workdays"] for cell in sums.values())
    labels = dict(Category.choices)
    categories = [
        {"label": str(labels.get(key, key)), "value": cell["received"], "resolved": cell["resolved"]}
        for key, cell in sorted(by_category.items(), key=lambda item: (-item[1]["received"], item[0]))
    ]
    return {
        "received": received,
        "resolved": resolved,
        "resolved_share": _rate(resolved, received),
        "average_workdays": round(workdays / resolved, 1) if resolved else None,
        "by_segment": by_segment,
        "by_category": _bars(categories),
    }
