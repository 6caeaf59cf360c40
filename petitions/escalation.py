"""督办: escalation of overdue open requests, and the weekly digest to point heads.

The scan is set-based: for each level it claims a bounded batch of rows with one locking
SELECT (skipping rows another worker holds), raises their level with one UPDATE, and writes
their timeline rows and notifications in bulk — never one query per request for the selection.
A request jumps straight to the highest level its lateness has reached; each level is
recorded once because ``escalation_level`` only grows.
"""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deputies.models import Station
from liaison.core.notifications import notify_user
from liaison.core.workdays import WorkCalendar
from points.models import LiaisonPoint

from .models import OPEN_STATUSES, Petition, PetitionEvent, Status

log = logging.getLogger(__name__)


def workdays_before(today: dt.date, days: int) -> dt.date:
    """The date ``days`` working days before ``today``."""
    calendar = WorkCalendar(today - dt.timedelta(days=days * 3 + 14), today)
    day, left = today, days
    while left:
        day -= dt.timedelta(days=1)
        left -= calendar.is_workday(day)
    return day


def level_thresholds(today: dt.date) -> dict[int, dt.date]:
    """Level → a request whose due date is before this date has reached the level."""
    return {
        1: today,
        2: workdays_before(today, settings.ESCALATION_LEVEL2_WORKDAYS),
        3: workdays_before(today, settings.ESCALATION_LEVEL3_WORKDAYS),
    }


LEVEL_LABELS = {
    1: gettext_noop("reminder to the handler and the point head"),
    2: gettext_noop("supervised by the street working committee"),
    3: gettext_noop("supervised by the district People's Congress office"),
}


def _recipients(petition: Petition, level: int, memo: dict) -> list:
    """Level 1: the department's handlers (or the handling deputy before dispatch) and the
    point head; level 2: the street working committee; level 3: the district office.
    ``memo`` keeps one query per distinct answer within a batch."""
    key = (level, petition.point_id, petition.department_id, petition.deputy_id)
    if key not in memo:
        User = get_user_model()
        if level == 1:
            q = Q(
                person__stations__point=petition.point_id,
                person__stations__role=Station.Role.HEAD,
                person__stations__until__isnull=True,
            )
            if petition.department_id:
                q |= Q(departments=petition.department_id)
            elif petition.deputy_id:
                q |= Q(person=petition.deputy_id)
        elif level == 2:
            q = Q(organisations=petition.point.organisation_id)
        else:
            q = Q(organisations=petition.point.organisation.parent_id)
        memo[key] = list(User.objects.filter(q, is_active=True).distinct())
    return memo[key]


def escalate_batch(level: int, threshold: dt.date, now) -> int:
    """Raise one batch of requests to ``level``; returns how many were raised."""
    with transaction.atomic():
        ids = list(
            Petition.objects.filter(status__in=OPEN_STATUSES, due_date__lt=threshold, escalation_level__lt=level)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[: settings.ESCALATION_BATCH]
        )
        if not ids:
            return 0
        Petition.objects.filter(id__in=ids).update(escalation_level=level)
        label = _(LEVEL_LABELS[level])
        rows = Petition.objects.filter(id__in=ids).values_list("id", "status")
        PetitionEvent.objects.bulk_create(
            [
                PetitionEvent(
                    petition_id=pk,
                    action=PetitionEvent.Action.ESCALATE,
                    from_status=status,
                    to_status=status,
                    actor_label=_("system"),
                    text=_("Level %(level)d: %(label)s") % {"level": level, "label": label},
                    public=False,
                    created_at=now,
                )  # fmt: skip
                for pk, status in rows
            ]
        )
        memo = {}
        for petition in Petition.objects.filter(id__in=ids).select_related("point__organisation"):
            for user in _recipients(petition, level, memo):
                notify_user(
                    user,
                    key=f"escalation:{petition.pk}:{level}:{user.pk}",
                    template="escalation",
                    context={"petition": petition, "level": level, "label": label},
                    link=f"/admin/petitions/petition/{petition.pk}/change/",
                    now=now,
                )
    return len(ids)


def escalation_scan(*, now=None) -> dict[int, int]:
    """Escalate every overdue open request to the level its lateness has reached. Re-runnable:
    a second run finds nothing to do. Returns {level: requests raised}."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = {}
    for level, threshold in sorted(level_thresholds(today).items(), reverse=True):
        raised[level] = 0
        while count := escalate_batch(level, threshold, now):
            raised[level] += count
    return raised


def weekly_digest_scan(*, now=None) -> int:
    """From Monday 08:00, one digest per point head per ISO week: open, overdue and new
    requests of their points. A run later in the week sends what Monday missed, once."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.weekday() == 0 and local.time() < dt.time(8, 0):
        return 0
    year, week, _weekday = local.isocalendar()
    today = local.date()
    week_ago = now - dt.timedelta(days=7)
    figures = {
        row["point"]: row
        for row in Petition.objects.values("point").annotate(
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
            new=Count("id", filter=Q(submitted_at__gte=week_ago)),
            resolved=Count("id", filter=Q(resolved_at__gte=week_ago, status__in=[Status.RESOLVED, Status.CLOSED])),
        )
    }
    created = 0
    heads = Station.objects.current(today).filter(role=Station.Role.HEAD, person__user__isnull=False)
    for station in heads.select_related("point", "person__user").filter(point__in=LiaisonPoint.objects.active()):
        numbers = figures.get(station.point_id, {"open": 0, "overdue": 0, "new": 0, "resolved": 0})
        created += len(
            notify_user(
                station.person.user,
                key=f"digest:{station.point_id}:{station.person_id}:{year}-W{week:02d}",
                template="weekly_digest",
                context={"point": station.point, "person": station.person, "figures": numbers, "week": week},
                link=f"/admin/petitions/petition/?point__id__exact={station.point_id}",
                now=now,
            )
        )
    return created
