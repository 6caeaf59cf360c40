"""督办: escalation of overdue open requests, and the weekly digest to point heads.

The scan is set-based: for each level it claims a bounded batch of rows with one locking
SELECT (skipping rows another worker holds), raises their level with one UPDATE, and writes
their timeline rows, recipients and notifications in bulk — a fixed number of queries per batch.
A request jumps straight to the highest level its lateness has reached; each level is
recorded once because ``escalation_level`` only grows.
"""

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import Concat, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deputies.models import Station
from liaison.core.bulk import insert_select
from liaison.core.notifications import notify_select, notify_user, ref_in_sql
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


def _recipients(batch, level: int) -> list[tuple[object, str]]:
    """Who hears of a batch raised to ``level``, as (requests, path to the user) pairs for
    ``notify_select``: level 1 the point heads and the department's handlers (or the handling
    deputy before dispatch), level 2 the street working committee, level 3 the district office
    above it."""
    if level == 1:
        heads = Station.objects.heads()
        return [
            (batch.filter(point__stations__in=heads), "point__stations__person__user"),
            (batch.filter(department__isnull=False), "department__handlers"),
            (batch.filter(department__isnull=True), "deputy__user"),
        ]
    if level == 2:
        return [(batch, "point__organisation__staff")]
    return [(batch, "point__organisation__parent__staff")]


def escalate_batch(level: int, threshold: dt.date, now) -> int:
    """Raise one batch of requests to ``level``; returns how many were raised. A fixed number of
    statements whatever the batch holds: the timeline rows and messages are written by the
    database from the batch (INSERT … SELECT), not built row by row here."""
    with transaction.atomic():
        ids = list(
            Petition.objects.filter(status__in=OPEN_STATUSES, due_date__lt=threshold, escalation_level__lt=level)
            .select_for_update(skip_locked=True)
            .order_by()  # any batch will do; no sort, so the partial index answers it directly
            .values_list("id", flat=True)[: settings.ESCALATION_BATCH]
        )
        if not ids:
            return 0
        batch = Petition.objects.filter(id__in=ids)
        batch.update(escalation_level=level)
        label = LEVEL_LABELS[level]
        insert_select(
            PetitionEvent,
            batch,
            petition_id=F("id"),
            action=PetitionEvent.Action.ESCALATE,
            from_status=F("status"),
            to_status=F("status"),
            actor_label=_("system"),
            text=_("Level %(level)d: %(label)s") % {"level": level, "label": _(label)},
            public=False,
            created_at=now,
        )
        for rows, user in _recipients(batch, level):
            notify_select(
                rows,
                user=user,
                key=Concat(Value("escalation:"), F("id"), Value(f":{level}"), output_field=CharField()),
                context=JSONObject(petition=ref_in_sql(Petition), level=Value(level), label=Value(label)),
                link=Concat(Value("/admin/petitions/petition/"), F("id"), Value("/change/"), output_field=CharField()),
                template="escalation",
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
        workers = settings.ESCALATION_WORKERS
        if workers == 1:
            raised[level] = _drain(level, threshold, now)
            continue
        # Batches are claimed with SKIP LOCKED, so parallel drains never take the same rows;
        # one thread's database round trips overlap another's Python work.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            drains = [pool.submit(_drain, level, threshold, now, own_connection=True) for _ in range(workers)]
            raised[level] = sum(drain.result() for drain in drains)
    return raised


def _drain(level, threshold, now, own_connection=False) -> int:
    count = 0
    try:
        while batch := escalate_batch(level, threshold, now):
            count += batch
    finally:
        if own_connection:
            connection.close()
    return count


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
    heads = Station.objects.heads(today).filter(person__user__isnull=False)
    for station in heads.select_related("point", "person__user").filter(point__in=LiaisonPoint.objects.active()):
        numbers = figures.get(station.point_id, {"open": 0, "overdue": 0, "new": 0, "resolved": 0})
        created += len(
            notify_user(
                station.person.user,
                key=f"digest:{station.point_id}:{station.person_id}:{year}-W{week:02d}",
                template="weekly_digest",
                context={"point": station.point, "person": station.person, "figures": numbers, "week": week},
                link=f"/admin/petitions/petition/?point={station.point_id}",
                now=now,
            )
        )
    return created
