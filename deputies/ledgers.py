from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _

from liaison.core.ledger import Column, Ledger, register

from .models import Activity, DutyAssignment, ReceptionDay, Suggestion


def reception_rows(points, start, end):
    days = (
        ReceptionDay.objects.filter(point__in=points, date__range=(start, end))
        .select_related("point")
        .prefetch_related(Prefetch("assignments", queryset=DutyAssignment.objects.select_related("person")))
        .annotate(requests=Count("petitions", distinct=True))
        .order_by("date", "point__name")
    )
    for day in days:
        assignments = list(day.assignments.all())
        yield [
            day.date, day.point.name, day.get_status_display(),
            "、".join(a.person.name for a in assignments),
            "、".join(a.person.name for a in assignments if a.attended),
            day.visitors, day.summary, day.requests,
        ]  # fmt: skip


def activity_rows(points, start, end):
    activities = (
        Activity.objects.filter(point__in=points, date__range=(start, end))
        .select_related("point")
        .prefetch_related("participants")
        .order_by("date", "id")
    )
    for a in activities:
        yield [
            a.date,
            a.point.name,
            a.get_kind_display(),
            a.title,
            "、".join(p.name for p in a.participants.all()),
            a.summary,
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
            s.filed_on, s.title, "、".join(p.name for p in s.authors.all()), s.addressed_unit,
            s.get_status_display(), s.answered_on, s.response,
        ]  # fmt: skip


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
            Column(_("What was raised"), 40),
            Column(_("Requests taken"), 10, "number"),
        ],  # fmt: skip
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
            Column(_("Participants"), 30),
            Column(_("Summary"), 40),
        ],  # fmt: skip
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
            Column(_("Filed on"), 12, "date"),
            Column(_("Title"), 44),
            Column(_("Authors"), 20),
            Column(_("Addressed to"), 24),
            Column(_("Status"), 10),
            Column(_("Answered on"), 12, "date"),
            Column(_("Response"), 40),
        ],  # fmt: skip
        rows=suggestion_rows,
        permission="deputies.view_suggestion",
        order=40,
    )
)
