"""Reception days: generated ahead, rostered, signed in, recorded — and their reminders.

Everything here is an idempotent scan keyed on stored state, so a worker that was down for
days runs it once and catches up without sending anything twice.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from liaison.core.notifications import admin_link, notify, notify_user
from points.models import GroupRobot, LiaisonPoint
from points.robots import notify_robots
from points.selectors import reception_date_in_month

from .models import DutyAssignment, Person, ReceptionDay, Station

# Reminders to the roster: (occasion, days before, local time). Only the latest occasion due
# is sent, so a worker that missed the 3-day reminder sends the 1-day one, not both.
REMINDERS = [("d3", 3, dt.time(9, 0)), ("d1", 1, dt.time(9, 0)), ("d0", 0, dt.time(7, 30))]
RECORD_REMINDER = (1, dt.time(9, 0))  # the day after, if the record is still empty


def months_from(today: dt.date, count: int):
    year, month = today.year, today.month
    for _ in range(count):
        yield dt.date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def roster_for(point: LiaisonPoint, month: dt.date) -> list[Person]:
    """The point head(s), plus members taking turns month by month (grid workers do not
    staff the reception desk)."""
    stations = list(
        Station.objects.current(month)
        .filter(point=point)
        .exclude(person__kind=Person.Kind.GRID_WORKER)
        .select_related("person")
        .order_by("person__name")
    )
    heads = [s.person for s in stations if s.role == Station.Role.HEAD]
    members = [s.person for s in stations if s.role != Station.Role.HEAD]
    size = settings.RECEPTION_ROSTER_MEMBERS
    if len(members) <= size:
        return heads + members
    start = ((month.year * 12 + month.month) * size) % len(members)
    return heads + [members[(start + i) % len(members)] for i in range(size)]


def reception_days_generate(*, today: dt.date | None = None, months: int = 3) -> int:
    """Create the reception days of every active point for this and the next months, each with
    its roster. Existing days are left as they are. Returns how many were created."""
    today = today or timezone.localdate()
    created = 0
    for point in LiaisonPoint.objects.active():
        for month in months_from(today, months):
            date = reception_date_in_month(point, month)
            if date < today:
                continue
            with transaction.atomic():
                day, new = ReceptionDay.objects.get_or_create(point=point, month=month, defaults={"date": date})
                if new:
                    DutyAssignment.objects.bulk_create(
                        [DutyAssignment(reception_day=day, person=p) for p in roster_for(point, month)]
                    )
                    created += 1
    return created


def duty_sign_in(*, assignment: DutyAssignment, now=None) -> DutyAssignment:
    """签到: the person on duty has arrived. Signing in twice keeps the first time."""
    now = now or timezone.now()
    DutyAssignment.objects.filter(pk=assignment.pk, signed_in_at__isnull=True).update(attended=True, signed_in_at=now)
    assignment.refresh_from_db()
    return assignment


def at_local(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _remind_person(person: Person, *, key: str, template: str, context: dict, link: str, now) -> int:
    sent = 0
    if person.phone:
        sent += bool(
            notify(key=f"{key}:sms", template=template, context=context, channel="sms", address=person.phone, now=now)
        )
    if person.user_id:
        sent += len(notify_user(person.user, key=key, template=template, context=context, link=link, now=now))
    return sent


def reception_reminders_scan(*, now=None) -> int:
    """Remind each rostered person before the day (3 days, 1 day, that morning: only the latest
    due), and the point head to fill in the record the day after. Returns messages created."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    created = 0
    upcoming = (
        ReceptionDay.objects.filter(date__gte=today, date__lte=today + dt.timedelta(days=3))
        .exclude(status=ReceptionDay.Status.CANCELLED)
        .select_related("point")
    )
    for day in upcoming:
        due = [
            (name, days) for name, days, time in REMINDERS if at_local(day.date - dt.timedelta(days=days), time) <= now
        ]
        if not due:
            continue
        occasion, days_before = due[-1]
        link = admin_link(ReceptionDay, day.pk)
        created += notify_robots(
            point=day.point,
            event=GroupRobot.Event.RECEPTION_REMINDER,
            key=f"reception:{day.pk}:{occasion}",
            template="robot_reception_reminder",
            context={"day": day},
            link=link,
            now=now,
        )
        for assignment in day.assignments.select_related("person__user"):
            created += _remind_person(
                assignment.person,
                key=f"reception:{day.pk}:{assignment.person_id}:{occasion}",
                template="reception_reminder",
                context={"day": day, "person": assignment.person, "days_before": days_before},
                link=link,
                now=now,
            )
    days_after, time = RECORD_REMINDER
    unrecorded = (
        ReceptionDay.objects.filter(
            date__lte=today - dt.timedelta(days=days_after),
            date__gte=today - dt.timedelta(days=31),
            record_filled_at__isnull=True,
        )
        .exclude(status=ReceptionDay.Status.CANCELLED)
        .select_related("point")
    )
    for day in unrecorded:
        if at_local(day.date + dt.timedelta(days=days_after), time) > now:
            continue
        heads = Person.objects.filter(stations__in=Station.objects.heads(today).filter(point=day.point)).select_related(
            "user"
        )
        for head in heads:
            created += _remind_person(
                head,
                key=f"reception-record:{day.pk}:{head.pk}",
                template="reception_record",
                context={"day": day, "person": head},
                link=admin_link(ReceptionDay, day.pk),
                now=now,
            )
    return created
