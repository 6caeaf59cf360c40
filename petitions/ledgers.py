from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.core.ledger import Column, Ledger, read_all, register

from .models import Category, Channel, Petition, Satisfaction, Status
from .rollups import figure_sums
from .selectors import department_ranking, monthly_trend, point_ranking, submitted_between


def request_rows(points, start, end):
    """One row per request submitted in the period, oldest first; streamed from the database.
    Local dates are computed there; labels are translated once per export, not once per cell."""
    tz = timezone.get_current_timezone()
    channels, categories, satisfactions, statuses = (
        {value: str(label) for value, label in choices}
        for choices in (Channel.choices, Category.choices, Satisfaction.choices, Status.choices)
    )
    rows = (
        Petition.objects.filter(point__in=list(points.values_list("pk", flat=True)), **submitted_between(start, end))
        .order_by("submitted_at", "id")
        .values_list(
            "number",
            TruncDate("submitted_at", tzinfo=tz),
            "channel",
            "enterprise_name",
            "category",
            "title",
            "deputy__name",
            "department__name",
            TruncDate("dispatched_at", tzinfo=tz),
            "reply_due",
            TruncDate("resolved_at", tzinfo=tz),
            "resolution",
            "satisfaction",
            "status",
        )
    )
    for (
        number,
        submitted,
        channel,
        enterprise,
        category,
        title,
        deputy,
        department,
        dispatched,
        reply_due,
        resolved,
        resolution,
        satisfaction,
        status,
    ) in read_all(rows):
        yield [
            number,
            submitted,
            channels.get(channel, channel),
            enterprise,
            categories.get(category, category),
            title,
            deputy or "",
            department or "",
            dispatched,
            reply_due,
            resolved,
            resolution,
            satisfactions.get(satisfaction, ""),
            statuses.get(status, status),
        ]


register(
    Ledger(
        slug="requests",
        title=_("Ledger of enterprise requests"),
        columns=[
            Column(_("Tracking number"), 20),
            Column(_("Accepted on"), 12, "date"),
            Column(_("Channel"), 10),
            Column(_("Enterprise"), 28),
            Column(_("Category"), 14),
            Column(_("Summary"), 36),
            Column(_("Accepting deputy"), 10),
            Column(_("Department"), 16),
            Column(_("Dispatched on"), 12, "date"),
            Column(_("Time limit"), 12, "date"),
            Column(_("Resolved on"), 12, "date"),
            Column(_("Result"), 36),
            Column(_("Satisfaction"), 10),
            Column(_("Status"), 10),
        ],
        rows=request_rows,
        permission="petitions.view_petition",
        order=10,
    )
)


# The statistics' tables (考核) as ledgers: the same print, Excel and CSV as every other ledger.
RATE = 12


def _dash(value):
    return "—" if value is None else value


def month_rows(points, start, end):
    sums = figure_sums(points, start, end, {"month": ("month",)})["month"]
    for row in monthly_trend(sums, start, end):
        yield [
            f"{row['month']:%Y-%m}",
            row["received"],
            row["resolved"],
            _dash(row["on_time_rate"]),
            _dash(row["satisfaction_rate"]),
            _dash(row["average_workdays"]),
        ]


def department_rows(points, start, end):
    sums = figure_sums(points, start, end, {"department": ("department",)})["department"]
    for row in department_ranking(sums):
        yield [
            row["rank"],
            row["name"],
            row["dispatched"],
            _dash(row["signed_on_time_rate"]),
            _dash(row["replied_on_time_rate"]),
            _dash(row["reopen_rate"]),
            _dash(row["satisfaction_rate"]),
        ]


def point_rows(points, start, end):
    sums = figure_sums(points, start, end, {"point": ("point",)})["point"]
    for row in point_ranking(sums, points):
        yield [
            row["rank"],
            row["name"],
            row["received"],
            row["resolved"],
            _dash(row["on_time_rate"]),
            _dash(row["satisfaction_rate"]),
            _dash(row["average_workdays"]),
        ]


register(
    Ledger(
        slug="monthly-trend",
        title=_("Monthly trend of requests"),
        columns=[
            Column(_("Month"), 10),
            Column(_("Requests received"), RATE, "number"),
            Column(_("Requests resolved"), RATE, "number"),
            Column(_("On-time rate (per cent)"), RATE, "number"),
            Column(_("Satisfaction rate (per cent)"), RATE, "number"),
            Column(_("Average working days"), RATE, "number"),
        ],
        rows=month_rows,
        permission="petitions.view_petition",
        order=50,
    )
)
register(
    Ledger(
        slug="department-ranking",
        title=_("Ranking of handling departments"),
        columns=[
            Column(_("Rank"), 6, "number"),
            Column(_("Department"), 24),
            Column(_("Requests dispatched"), RATE, "number"),
            Column(_("Signed on time (per cent)"), RATE, "number"),
            Column(_("Replied on time (per cent)"), RATE, "number"),
            Column(_("Reopened (per cent)"), RATE, "number"),
            Column(_("Satisfaction rate (per cent)"), RATE, "number"),
        ],
        rows=department_rows,
        permission="petitions.view_petition",
        order=51,
    )
)
register(
    Ledger(
        slug="point-ranking",
        title=_("Ranking of liaison points"),
        columns=[
            Column(_("Rank"), 6, "number"),
            Column(_("Point"), 30),
            Column(_("Requests received"), RATE, "number"),
            Column(_("Requests resolved"), RATE, "number"),
            Column(_("On-time rate (per cent)"), RATE, "number"),
            Column(_("Satisfaction rate (per cent)"), RATE, "number"),
            Column(_("Average working days"), RATE, "number"),
        ],
        rows=point_rows,
        permission="petitions.view_petition",
        order=52,
    )
)
