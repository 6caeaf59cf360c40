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
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Concat, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from deputies.models import Station
from liaison.core.bulk import insert_select
from liaison.core.notifications import admin_link, admin_link_in_sql, notify_select, notify_user, ref_in_sql
from liaison.core.workdays import WorkCalendar
from points.models import GroupRobot, LiaisonPoint
from points.robots import notify_robots

from .models import OPEN_STATUSES, SYSTEM_LABEL, Petition, PetitionEvent, Status

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


def level_cutoffs(now: dt.datetime) -> dict[int, dt.datetime]:
    """Level → a request whose deadline (``due_at``) is before this instant has reached the
    level: level 1 as soon as the deadline passes (to the hour, for urgent requests), the
    higher ones after the working days of ``level_thresholds`` from the deadline's day."""
    days = level_thresholds(timezone.localdate(now))
    return {
        1: now,
        **{
            level: timezone.make_aware(dt.datetime.combine(day, dt.time.min))
            for level, day in days.items()
            if level > 1
        },
    }


LEVEL_LABELS = {
    1: gettext_noop("reminder to the handler and the point head"),
    2: gettext_noop("supervised by the street working committee"),
    3: gettext_noop("supervised by the district People's Congress office"),
}


# Where each level's office sits, from the request; a level whose office has nobody with an
# active account goes up the organisation tree from there, at most this many steps.
LEVEL_OFFICE = {2: "point__organisation", 3: "point__organisation__parent"}
TREE_STEPS = 3


def _has_staff(path: str):
    """True where the organisation at ``path`` has at least one active staff account."""
    return Exists(get_user_model().objects.filter(organisations=OuterRef(path), is_active=True))


def _offices(level: int) -> list[str]:
    """The organisations that may hear of ``level``, nearest first: its own office, then those
    above it."""
    return [LEVEL_OFFICE[level] + "__parent" * up for up in range(TREE_STEPS + 1)]


def _office_recipients(rows, level: int) -> list[tuple[object, str]]:
    """The first office up the tree from ``level``'s own with an active account, per request:
    (requests, path to the users) pairs, one per step up, each request in one pair at most."""
    offices = _offices(level)
    found = {f"_staff{i}": _has_staff(path) for i, path in enumerate(offices)}
    rows = rows.alias(**found)
    return [
        (rows.filter(**{f"_staff{j}": False for j in range(i)}, **{f"_staff{i}": True}), f"{path}__staff")
        for i, path in enumerate(offices)
    ]


def _around(translated: str, value):
    """A translated sentence with ``%(office)s`` filled from SQL, so it stays one message."""
    before, after = translated.split("%(office)s", 1)
    return Concat(Value(before), value, Value(after), output_field=CharField())


def _passed_up(level: int):
    """The level's timeline text after its label: which office heard of it when its own had
    nobody (an expression over the requests, so the rows are still written by the database)."""
    if level not in LEVEL_OFFICE:
        return Value("")
    offices = _offices(level)
    return Case(
        *(
            When(
                Q(**{f"_staff{j}": False for j in range(i)}, **{f"_staff{i}": True}),
                then=_around(
                    _("; nobody at its own office has an active account, so it went to %(office)s"),
                    F(f"{path}__name"),
                ),
            )
            for i, path in enumerate(offices)
            if i
        ),
        When(
            Q(**{f"_staff{i}": False for i in range(len(offices))}),
            then=Value(_("; nobody up the organisation tree has an active account: please assign staff")),
        ),
        default=Value(""),
        output_field=CharField(),
    )


# The level's note as each reader reads it (``PetitionEvent.note``): one sentence per case of
# ``_passed_up``, so that each stays one message to translate.
ESCALATION_NOTES = {
    "own": gettext_noop("Level %(level)d: %(label)s"),
    "went": gettext_noop(
        "Level %(level)d: %(label)s; nobody at its own office has an active account, so it went to %(office)s"
    ),
    "nobody": gettext_noop(
        "Level %(level)d: %(label)s; nobody up the organisation tree has an active account: please assign staff"
    ),
}


def _escalation_note(level: int, label: str):
    """The note of ``level`` per request, built by the database like its text (``_passed_up``)."""
    msgid, office = Value(ESCALATION_NOTES["own"]), Value("")
    if level in LEVEL_OFFICE:
        offices = _offices(level)
        went = [
            (Q(**{f"_staff{j}": False for j in range(i)}, **{f"_staff{i}": True}), F(f"{path}__name"))
            for i, path in enumerate(offices)
            if i
        ]
        nobody = Q(**{f"_staff{i}": False for i in range(len(offices))})
        msgid = Case(
            *(When(case, then=Value(ESCALATION_NOTES["went"])) for case, _name in went),
            When(nobody, then=Value(ESCALATION_NOTES["nobody"])),
            default=msgid,
            output_field=CharField(),
        )
        office = Case(*(When(case, then=name) for case, name in went), default=office, output_field=CharField())
    return JSONObject(
        msgid=msgid, params=JSONObject(level=Value(level), label=JSONObject(msgid=Value(label)), office=office)
    )


def _recipients(rows, level: int) -> list[tuple[object, str]]:
    """Who hears that requests reached ``level``, as (requests, path to the user) pairs for
    ``notify_select``: level 1 the department's handlers (or the handling deputy before
    dispatch), level 2 the street working committee, level 3 the district office above it; a
    level whose office has nobody active goes up the tree. The point heads are told apart."""
    if level == 1:
        return [
            (rows.filter(department__isnull=False), "department__handlers"),
            (rows.filter(department__isnull=True), "deputy__user"),
        ]
    return _office_recipients(rows, level)


def escalate_batch(level: int, threshold: dt.datetime, now) -> int:
    """Raise one batch of requests to ``level``; returns how many were raised. A fixed number of
    statements whatever the batch holds: the timeline rows and messages are written by the
    database from the batch (INSERT … SELECT), not built row by row here.

    A request that jumps levels tells every level it skipped too (their keys name their level,
    so no level hears twice), and its point heads hear of every level it reaches."""
    with transaction.atomic():
        ids = list(
            Petition.objects.filter(status__in=OPEN_STATUSES, due_at__lt=threshold, escalation_level__lt=level)
            .select_for_update(skip_locked=True)
            .order_by()  # any batch will do; no sort, so the partial index answers it directly
            .values_list("id", flat=True)[: settings.ESCALATION_BATCH]
        )
        if not ids:
            return 0
        batch = Petition.objects.filter(id__in=ids)
        label = LEVEL_LABELS[level]
        walked = (
            batch.alias(**{f"_staff{i}": _has_staff(p) for i, p in enumerate(_offices(level))})
            if (level in LEVEL_OFFICE)
            else batch
        )
        insert_select(
            PetitionEvent,
            walked,
            petition_id=F("id"),
            action=PetitionEvent.Action.ESCALATE,
            from_status=F("status"),
            to_status=F("status"),
            actor_label=SYSTEM_LABEL,
            text=Concat(
                Value(_("Level %(level)d: %(label)s") % {"level": level, "label": _(label)}),
                _passed_up(level),
                output_field=CharField(),
            ),
            note=_escalation_note(level, label),
            public=False,
            created_at=now,
        )
        context = JSONObject(petition=ref_in_sql(Petition), level=Value(level), label=Value(label))
        heads = Station.objects.heads(timezone.localdate(now))
        told = [(batch.filter(point__stations__in=heads), "point__stations__person__user", level)]
        for each in range(1, level + 1):
            # Before the update: the levels a request had not reached yet are those it skips.
            told += [(rows, user, each) for rows, user in _recipients(batch.filter(escalation_level__lt=each), each)]
        for rows, user, each in told:
            notify_select(
                rows,
                user=user,
                key=Concat(Value("escalation:"), F("id"), Value(f":{each}"), output_field=CharField()),
                context=context,
                link=admin_link_in_sql(Petition),
                template="escalation",
                now=now,
            )
        batch.update(escalation_level=level)
    return len(ids)


def escalation_scan(*, now=None) -> dict[int, int]:
    """Escalate every overdue open request to the level its lateness has reached. Re-runnable:
    a second run finds nothing to do. Returns {level: requests raised}."""
    now = now or timezone.now()
    raised = {}
    for level, threshold in sorted(level_cutoffs(now).items(), reverse=True):
        workers = settings.ESCALATION_WORKERS
        if workers == 1:
            raised[level] = _drain(level, threshold, now)
            continue
        # Batches are claimed with SKIP LOCKED, so parallel drains never take the same rows;
        # one thread's database round trips overlap another's Python work.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            drains = [pool.submit(_drain, level, threshold, now, own_connection=True) for _ in range(workers)]
            raised[level] = sum(drain.result() for drain in drains)
    if any(raised.values()):
        _tell_robots(now)
    return raised


def _tell_robots(now) -> int:
    """One summary per point to its staff group chats for what this run escalated: a group chat
    must not get one message per request. The run's timeline rows (all stamped ``now``) say
    which; the key names the run, so running it again at the same moment records nothing."""
    per_point = (
        PetitionEvent.objects.filter(action=PetitionEvent.Action.ESCALATE, created_at=now)
        .values("petition__point")
        .annotate(**{f"level{n}": Count("id", filter=Q(petition__escalation_level=n)) for n in LEVEL_LABELS})
        .order_by()
    )
    points = LiaisonPoint.objects.in_bulk([row["petition__point"] for row in per_point])
    created = 0
    for row in per_point:
        point = points[row["petition__point"]]
        created += notify_robots(
            point=point,
            event=GroupRobot.Event.ESCALATION,
            key=f"escalation-summary:{point.pk}:{now.isoformat()}",
            template="robot_escalation",
            context={"point": point, **{f"level{n}": row[f"level{n}"] for n in LEVEL_LABELS}},
            link=f"{admin_link(Petition)}?point={point.pk}",
            now=now,
        )
    return created


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
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
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
                link=f"{admin_link(Petition)}?point={station.point_id}",
                now=now,
            )
        )
    return created
