"""How each rule's score events follow from the source records — verified facts only.

Each derivation returns rows of (person_id, source_id, occurred_on, point_id, label) for
every source record that earns the rule's points *now*. The sync inserts what is missing and
removes what no longer qualifies (a suggestion rated again, a request reopened); a rebuild
replaces everything — both from these same functions, so they always agree. Every derivation
runs a fixed number of queries, however long the history.
"""

import datetime as dt

from django.conf import settings
from django.db.models import CharField, F, Min, Q, Value
from django.db.models.functions import Concat, TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from deputies.models import Activity, DutyAssignment, ReceptionDay, Suggestion, Visit
from liaison.core.workdays import WorkCalendar
from petitions.models import Petition, PetitionEvent, Satisfaction, Status

DEFAULT_RULES = [
    # code, description, points
    ("reception_attended", _("Attended a reception day on duty"), 5),
    ("duty_missed", _("Missed a rostered reception duty"), -3),
    ("accepted_on_time", _("Accepted a request within the limit"), 2),
    ("resolved_on_site", _("Resolved a request on site"), 5),
    ("closed_satisfied", _("Request closed with the enterprise satisfied"), 3),
    ("resolved_on_time", _("Request resolved within its deadline"), 2),
    ("suggestion_filed", _("Submitted a suggestion"), 5),
    ("suggestion_satisfied", _("Suggestion answered to the authors' satisfaction"), 10),
    ("inspection_joined", _("Attended a collective inspection"), 3),
    ("enterprise_visited", _("Visited an enterprise one looks after"), 1),
    ("overdue_caused", _("Let a request go overdue before dispatch"), -2),
]


def _tz_date(field):
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def _duty_rows(signed_in: bool):
    # Only held days count; attendance is the sign-in on the day itself (nothing typed later).
    return (
        "dutyassignment",
        DutyAssignment.objects.filter(
            reception_day__status=ReceptionDay.Status.HELD, signed_in_at__isnull=not signed_in
        ).values_list(
            "person_id",
            "pk",
            "reception_day__date",
            "reception_day__point_id",
            Concat(F("reception_day__point__name"), Value(" "), F("reception_day__date"), output_field=CharField()),
        ),
    )


def reception_attended():
    return _duty_rows(True)


def duty_missed():
    # Rostered for a day that was held, and never signed in to it.
    return _duty_rows(False)


def _events(action, *extra):
    return PetitionEvent.objects.filter(action=action, actor__person__isnull=False).values_list(
        "actor__person",
        "pk",
        _tz_date("created_at"),
        "petition__point_id",
        Concat(F("petition__number"), Value(" "), F("petition__title"), output_field=CharField()),
        *extra,
    )


def accepted_on_time():
    # On time: accepted no later than the accept deadline of the submission, recomputed
    # with the same working-day rule (the request's due_date moves on after acceptance).
    # One calendar for the whole span, so the cost is one query, not one per request ever made.
    limit = settings.PETITION_ACCEPT_WORKDAYS
    rows = list(_events(PetitionEvent.Action.ACCEPT, _tz_date("petition__submitted_at")))
    if not rows:
        return "petitionevent", []
    starts = [row[5] for row in rows]
    calendar = WorkCalendar(min(starts), max(starts) + dt.timedelta(days=limit * 3 + 14))
    return "petitionevent", [row[:5] for row in rows if row[2] <= calendar.add_workdays(row[5], limit)]


def resolved_on_site():
    return "petitionevent", _events(PetitionEvent.Action.RESOLVE_ON_SITE)


def resolved_on_time():
    # Resolved (and not reopened since) no later than the deadline it then had.
    return (
        "petition",
        Petition.objects.filter(
            status__in=[Status.RESOLVED, Status.CLOSED],
            deputy__isnull=False,
            due_date__isnull=False,
            resolved_at__isnull=False,
        )
        .annotate(resolved_on=_tz_date("resolved_at"))
        .filter(resolved_on__lte=F("due_date"))
        .values_list(
            "deputy_id",
            "pk",
            "resolved_on",
            "point_id",
            Concat(F("number"), Value(" "), F("title"), output_field=CharField()),
        ),
    )


def closed_satisfied():
    return (
        "petition",
        Petition.objects.filter(
            status=Status.CLOSED, satisfaction=Satisfaction.SATISFIED, deputy__isnull=False
        ).values_list(
            "deputy_id",
            "pk",
            _tz_date("closed_at"),
            "point_id",
            Concat(F("number"), Value(" "), F("title"), output_field=CharField()),
        ),
    )


def suggestion_filed():
    return (
        "suggestion",
        Suggestion.objects.exclude(status=Suggestion.Status.DRAFTED)
        .filter(authors__isnull=False, filed_on__isnull=False)
        .values_list("authors", "pk", "filed_on", "point_id", "title"),
    )


def suggestion_satisfied():
    return (
        "suggestion",
        Suggestion.objects.filter(
            authors__isnull=False, rating=Suggestion.Rating.SATISFIED, rated_on__isnull=False
        ).values_list("authors", "pk", "rated_on", "point_id", "title"),
    )


def inspection_joined():
    return (
        "activity",
        Activity.objects.filter(
            kind=Activity.Kind.INSPECTION, status=Activity.Status.HELD, attendees__isnull=False
        ).values_list("attendees", "pk", "date", "point_id", "title"),
    )


def enterprise_visited():
    return (
        "visit",
        Visit.objects.values_list(
            "person_id",
            "pk",
            "date",
            "point_id",
            Concat(F("enterprise__name"), Value(" "), F("date"), output_field=CharField()),
        ),
    )


def overdue_caused():
    # Once per request that was escalated while still with its deputy (before dispatch).
    late = Q(events__action=PetitionEvent.Action.ESCALATE, events__from_status__in=[Status.SUBMITTED, Status.ACCEPTED])
    return (
        "petition",
        Petition.objects.filter(late, deputy__isnull=False)
        .annotate(first=Min("events__created_at", filter=late))
        .values_list(
            "deputy_id",
            "pk",
            _tz_date("first"),
            "point_id",
            Concat(F("number"), Value(" "), F("title"), output_field=CharField()),
        ),
    )


DERIVATIONS = {
    "reception_attended": reception_attended,
    "duty_missed": duty_missed,
    "accepted_on_time": accepted_on_time,
    "resolved_on_site": resolved_on_site,
    "resolved_on_time": resolved_on_time,
    "closed_satisfied": closed_satisfied,
    "suggestion_filed": suggestion_filed,
    "suggestion_satisfied": suggestion_satisfied,
    "inspection_joined": inspection_joined,
    "enterprise_visited": enterprise_visited,
    "overdue_caused": overdue_caused,
}


def seed_rules(using="default") -> None:
    """Create the default rules that do not exist yet; existing ones keep their points."""
    from .models import ScoringRule

    # Descriptions are stored text that office staff may edit: written in the portal's language.
    with translation.override(settings.LANGUAGE_CODE):
        for code, description, points in DEFAULT_RULES:
            ScoringRule.objects.using(using).get_or_create(
                code=code, defaults={"description": str(description), "points": points}
            )


def seed_rules_after_migrate(sender, using="default", **kwargs):
    seed_rules(using=using)
