from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _

from liaison.core.ledger import Column, Ledger, register

from .models import Activity, DutyAssignment, ReceptionDay, Suggestion


def reception_rows(points, start, end):
    days = (
        ReceptionDay.objects.filter(point__in=points, date__range=(start, end))
        .select_related("point")
        .prefetch_related(
            Prefetch("assignments", queryset=DutyAssignment.objects.select_related("person")), "enterprises"
        )
        .annotate(requests=Count("petitions", distinct=True))
        .order_by("date", "point__name")
    )
    for day in days:
        assignments = list(day.assignments.all())
        yield [
            day.date,
            day.point.name,
            day.get_status_display(),
            "、".join(a.person.name for a in assignments),
            "、".join(a.person.name for a in assignments if a.signed_in_at),
            day.visitors,
            "、".join(e.name for e in day.enterprises.all()),
            day.summary or day.cancel_reason,
            day.requests,
        ]


def activity_rows(points, start, end):
    activities = (
        Activity.objects.filter(point__in=points, date__range=(start, end))
        .select_related("point")
        .prefetch_related("attendees", "enterprises")
        .order_by("date", "id")
    )
    for a in activities:
        yield [
            a.date,
            a.point.name,
            a.get_kind_display(),
            a.title,
            a.get_status_display(),
            "、".join(p.name for p in a.attendees.all()),
            "、".join(e.name for e in a.enterprises.all()),
            a.findings or a.cancel_reason or a.summary,
        ]


def suggestion_rows(points, start, end):
    suggestions = (
        Suggestion.objects.filter(point__in=points, filed_on__range=(start, end))
        .select_related("point")
        .prefetch_related("authors")
        .order_by("filed_on", "id")
    )
    for s in suggestions:
        yield [
            s.filed_on,
            s.title,
            "、".join(p.name for p in s.authors.all()),
            s.addressed_unit,
            s.handling_unit,
            s.get_status_display(),
            s.answered_on,
            s.response,
            s.get_rating_display(),
        ]


register(
    Ledger(
        slug="reception-days",
        title=_("Ledger of reception days"),
        columns=[
            Column(_("Date"), 12, "date"),
            Column(_("Point"), 26),
            Column(_("Status"), 8),
            Column(_("Duty roster"), 24),
            Column(_("Signed in"), 24),
            Column(_("Who came"), 24),
            Column(_("Enterprises received"), 30),
            Column(_("What was raised"), 40),
            Column(_("Requests taken"), 10, "number"),
        ],
        rows=reception_rows,
        permission="deputies.view_receptionday",
        order=20,
    )
)
register(
    Ledger(
        slug="activities",
        title=_("Ledger of activities"),
        columns=[
            Column(_("Date"), 12, "date"),
            Column(_("Point"), 26),
            Column(_("Kind"), 10),
            Column(_("Title"), 36),
            Column(_("Status"), 8),
            Column(_("Participants who attended"), 30),
            Column(_("Enterprises visited"), 30),
            Column(_("Findings"), 40),
        ],
        rows=activity_rows,
        permission="deputies.view_activity",
        order=30,
    )
)
register(
    Ledger(
        slug="suggestions",
        title=_("Ledger of suggestions"),
        columns=[
            Column(_("Submitted on"), 12, "date"),
            Column(_("Title"), 44),
            Column(_("Authors"), 20),
            Column(_("Submitted to"), 24),
            Column(_("Handling department"), 20),
            Column(_("Status"), 10),
            Column(_("Answered on"), 12, "date"),
            Column(_("Answer"), 40),
            Column(_("Authors' rating"), 10),
        ],
        rows=suggestion_rows,
        permission="deputies.view_suggestion",
        order=40,
    )
)
