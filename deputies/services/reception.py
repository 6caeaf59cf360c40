"""Reception days: generated ahead, rostered, signed in, recorded — and their reminders.

Everything here is an idempotent scan keyed on stored state, so a worker that was down for
days runs it once and catches up without sending anything twice.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from liaison.core.notifications import admin_link, notify, notify_user
from liaison.core.steps import StepRefused, StepTable
from points.models import GroupRobot, LiaisonPoint
from points.robots import notify_robots
from points.selectors import reception_date_in_month

from ..forms import ReasonForm, RecordForm
from ..models import DutyAssignment, Person, Photo, ReceptionDay, Station
from .common import POINT, SCAN_ACTOR, SYSTEM, drain, point_rights, save_changed

ON_DUTY = "on_duty"  # a person on the day's roster, signing in for themselves


def reception_rights(actor, day: ReceptionDay) -> set[str]:
    """Rights of ``actor`` over ``day``: point staff with the change permission at a point they
    work for; the rostered person for their own sign-in; the scans' system rights."""
    rights = point_rights(actor, day.point_id, "deputies.change_receptionday")
    if getattr(actor, "is_authenticated", False) and day.assignments.filter(person__user=actor).exists():
        rights.add(ON_DUTY)
    return rights


RECEPTION = StepTable(
    "reception day",
    subject="day",
    rights=reception_rights,
    irreversible={"cancel": _("A cancelled reception day cannot be restored.")},
)

# Reminders to the roster: (occasion, days before, local time). Only the latest occasion due
# is sent, so a worker that missed the 3-day reminder sends the 1-day one, not both.
REMINDERS = [("d3", 3, dt.time(9, 0)), ("d1", 1, dt.time(9, 0)), ("d0", 0, dt.time(7, 30))]
RECORD_REMINDER = (1, dt.time(9, 0))  # the day after, if the record is still empty


def months_from(today: dt.date, count: int):
    year, month = today.year, today.month
    for _i in range(count):
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
    its roster — the current month's too when its date has passed (it is then recorded as held
    or marked missed like any other). Existing days are left as they are, so re-running creates
    nothing. Returns how many were created."""
    today = today or timezone.localdate()
    created = 0
    for point in LiaisonPoint.objects.active():
        for month in months_from(today, months):
            date = reception_date_in_month(point, month)
            with transaction.atomic():
                day, new = ReceptionDay.objects.get_or_create(point=point, month=month, defaults={"date": date})
                if new:
                    DutyAssignment.objects.bulk_create(
                        [DutyAssignment(reception_day=day, person=p) for p in roster_for(point, month)]
                    )
                    created += 1
    return created


def _locked(day: ReceptionDay) -> ReceptionDay:
    return ReceptionDay.objects.select_for_update().select_related("point").get(pk=day.pk)


def _attach(day: ReceptionDay, enterprises, photos, now) -> None:
    if enterprises is not None:
        day.enterprises.set(enterprises)
    Photo.objects.bulk_create(
        [Photo(reception_day=day, image=image, taken_on=timezone.localdate(now)) for image in photos]
    )


@RECEPTION.step("sign_in", _("Sign in"), [ReceptionDay.Status.PLANNED, ReceptionDay.Status.HELD], None, ON_DUTY)
def reception_day_sign_in(*, day: ReceptionDay, actor, now=None) -> DutyAssignment:
    """签到: the rostered ``actor`` has arrived. Only on the day itself, within the hours set in
    settings; signing in twice keeps the first time."""
    now = now or timezone.now()
    with transaction.atomic():
        day = _locked(day)
        RECEPTION.check("sign_in", day, actor)
        local = timezone.localtime(now)
        opens, closes = settings.RECEPTION_SIGN_IN_FROM_HOUR, settings.RECEPTION_SIGN_IN_UNTIL_HOUR
        if local.date() != day.date or not opens <= local.hour < closes:
            raise StepRefused(
                _t("Sign-in is open only on %(date)s from %(opens)02d:00 to %(closes)02d:00.")
                % {"date": f"{day.date:%Y-%m-%d}", "opens": opens, "closes": closes}
            )
        assignment = day.assignments.select_for_update().get(person__user=actor)
        if assignment.signed_in_at is None:
            assignment.attended, assignment.signed_in_at = True, now
            assignment.save(update_fields=["attended", "signed_in_at"])
        return assignment


@RECEPTION.step(
    "hold", _("Record as held"), [ReceptionDay.Status.PLANNED], ReceptionDay.Status.HELD, POINT, form=RecordForm
)
def reception_day_hold(
    *, day: ReceptionDay, actor, summary: str, visitors: str = "", enterprises=None, photos=(), now=None
) -> ReceptionDay:
    """scheduled → held, with its record (接待记录): the minutes, who came, the enterprises
    received and photos. Not before the day itself."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(day)
        RECEPTION.check("hold", original, actor)
        if timezone.localdate(now) < original.date:
            raise StepRefused(
                _t("A reception day can be recorded as held only on or after %(date)s.")
                % {"date": f"{original.date:%Y-%m-%d}"}
            )
        if not summary.strip():
            raise StepRefused(_t("Write what was raised before recording the day as held."))
        day = _locked(day)
        day.status, day.summary, day.visitors = ReceptionDay.Status.HELD, summary, visitors
        day.record_filled_at = original.record_filled_at or now
        save_changed(day, original, ["status", "summary", "visitors", "record_filled_at"])
        _attach(day, enterprises, photos, now)
        return day


@RECEPTION.step("record", _("Amend the record"), [ReceptionDay.Status.HELD], None, POINT, form=RecordForm)
def reception_day_record(
    *, day: ReceptionDay, actor, summary: str, visitors: str = "", enterprises=None, photos=(), now=None
) -> ReceptionDay:
    """Amend the record of a held day (photos are added to those there); the state stays."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(day)
        RECEPTION.check("record", original, actor)
        if not summary.strip():
            raise StepRefused(_t("Write what was raised before recording the day as held."))
        day = _locked(day)
        day.summary, day.visitors = summary, visitors
        save_changed(day, original, ["summary", "visitors"])
        _attach(day, enterprises, photos, now)
        return day


@RECEPTION.step(
    "cancel", _("Cancel"), [ReceptionDay.Status.PLANNED], ReceptionDay.Status.CANCELLED, POINT, form=ReasonForm
)
def reception_day_cancel(*, day: ReceptionDay, actor, reason: str, now=None) -> ReceptionDay:
    """scheduled → cancelled, with the reason (told to the public and kept for the 考核)."""
    with transaction.atomic():
        original = _locked(day)
        RECEPTION.check("cancel", original, actor)
        if not reason.strip():
            raise StepRefused(_t("Give the reason for cancelling."))
        day = _locked(day)
        day.status, day.cancel_reason = ReceptionDay.Status.CANCELLED, reason
        save_changed(day, original, ["status", "cancel_reason"])
        return day


def _nothing_recorded(day: ReceptionDay) -> bool:
    return not day.summary.strip() and not day.assignments.filter(signed_in_at__isnull=False).exists()


def _missed_by(day: ReceptionDay, today: dt.date) -> bool:
    return today > day.date + dt.timedelta(days=settings.RECEPTION_MISSED_AFTER_DAYS)


@RECEPTION.step("miss", _("Mark as missed"), [ReceptionDay.Status.PLANNED], ReceptionDay.Status.MISSED, SYSTEM)
def reception_day_miss(*, day: ReceptionDay, actor, now=None) -> ReceptionDay:
    """scheduled → missed: taken by the scan once the days of grace after the day have passed
    with no record and nobody signed in."""
    now = now or timezone.now()
    with transaction.atomic():
        original = _locked(day)
        RECEPTION.check("miss", original, actor)
        if not _missed_by(original, timezone.localdate(now)) or not _nothing_recorded(original):
            raise StepRefused(_t("This reception day is not missed: it is still open or something was recorded."))
        day = _locked(day)
        day.status = ReceptionDay.Status.MISSED
        save_changed(day, original, ["status"])
        return day


def process_one_missed(day_id: int, *, now) -> bool:
    """Mark reception day ``day_id`` missed if it qualifies; False when it does not (recorded,
    signed in, still within grace, or taken by another worker)."""
    with transaction.atomic():
        day = ReceptionDay.objects.select_for_update(skip_locked=True).filter(pk=day_id).first()
        if day is None or day.status != ReceptionDay.Status.PLANNED:
            return False
        if not _missed_by(day, timezone.localdate(now)) or not _nothing_recorded(day):
            return False
        reception_day_miss(day=day, actor=SCAN_ACTOR, now=now)
        return True


def reception_days_missed_scan(*, now=None) -> int:
    """Mark missed every scheduled day past its grace with nothing recorded. Idempotent."""
    now = now or timezone.now()
    last = timezone.localdate(now) - dt.timedelta(days=settings.RECEPTION_MISSED_AFTER_DAYS + 1)
    ids = list(
        ReceptionDay.objects.filter(status=ReceptionDay.Status.PLANNED, date__lte=last)
        .order_by("date")
        .values_list("pk", flat=True)[:500]
    )
    return drain(ids, process_one_missed, now=now)


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


def process_one_reminder(day_id: int, *, now) -> bool:
    """Remind the roster of reception day ``day_id`` of the latest occasion due (3 days, 1 day,
    that morning). The message says how many days are really left when it is created, so a
    reminder sent late never says "3 days" two days before. True if anything was created."""
    day = ReceptionDay.objects.select_related("point").get(pk=day_id)
    if day.status != ReceptionDay.Status.PLANNED:
        return False
    due = [name for name, days, time in REMINDERS if at_local(day.date - dt.timedelta(days=days), time) <= now]
    if not due:
        return False
    days_left = (day.date - timezone.localdate(now)).days
    if days_left < 0:
        return False
    link = admin_link(ReceptionDay, day.pk)
    # The staff group chats of the point and its organisations, once per occasion.
    created = notify_robots(
        point=day.point,
        event=GroupRobot.Event.RECEPTION_REMINDER,
        key=f"reception:{day.pk}:{due[-1]}",
        template="robot_reception_reminder",
        context={"day": day},
        link=link,
        now=now,
    )
    for assignment in day.assignments.select_related("person__user"):
        created += _remind_person(
            assignment.person,
            key=f"reception:{day.pk}:{assignment.person_id}:{due[-1]}",
            template="reception_reminder",
            context={"day": day, "person": assignment.person, "days_before": days_left},
            link=link,
            now=now,
        )
    return created > 0


def process_one_record_reminder(day_id: int, *, now) -> bool:
    """Remind the point heads, once, to fill in the record of a past day still without one."""
    day = ReceptionDay.objects.select_related("point").get(pk=day_id)
    days_after, time = RECORD_REMINDER
    if day.status != ReceptionDay.Status.PLANNED or day.record_filled_at:
        return False
    if at_local(day.date + dt.timedelta(days=days_after), time) > now:
        return False
    today = timezone.localdate(now)
    heads = Person.objects.filter(stations__in=Station.objects.heads(today).filter(point=day.point)).select_related(
        "user"
    )
    created = 0
    for head in heads:
        created += _remind_person(
            head,
            key=f"reception-record:{day.pk}:{head.pk}",
            template="reception_record",
            context={"day": day, "person": head},
            link=admin_link(ReceptionDay, day.pk),
            now=now,
        )
    return created > 0


def reception_reminders_scan(*, now=None) -> int:
    """Remind each rostered person before a scheduled day (only the latest occasion due), and
    the point head to fill in the record the day after. Each message is keyed, so re-running
    creates nothing new; a day that fails is skipped and retried next run. Returns the number
    of days for which messages were created."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    scheduled = ReceptionDay.objects.filter(status=ReceptionDay.Status.PLANNED).order_by("date")
    upcoming = scheduled.filter(date__gte=today, date__lte=today + dt.timedelta(days=3)).values_list("pk", flat=True)
    days_after, _time = RECORD_REMINDER
    unrecorded = scheduled.filter(
        date__lte=today - dt.timedelta(days=days_after),
        date__gte=today - dt.timedelta(days=31),
        record_filled_at__isnull=True,
    ).values_list("pk", flat=True)
    return drain(list(upcoming), process_one_reminder, now=now) + drain(
        list(unrecorded), process_one_record_reminder, now=now
    )
