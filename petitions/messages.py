"""Who hears of each timeline event, and what the enterprise reads of it: one table each.

``_record`` in ``services`` calls ``tell`` inside the transaction of every step (and of the
submission), so a message is recorded with the event it reports or not at all; its key names
the event (``enterprise:<event id>:sms``), so it is recorded at most once per event whatever
runs again. The periodic delivery scan sends what was recorded.

- ``ENTERPRISE_SMS``: the step, by the status it reached, → the enterprise's SMS template.
  Only a change of status is reported (a second rating of a closed request says nothing).
- ``STAFF``: the step, by the status it reached, → who among the staff hears of it. A new
  request (``_submitted``) is told to the enterprise, the group robots and the point's head and
  deputies in one statement.
- ``DUPLICATES_TOLD``: the steps that answer a request, after which the filers of the requests
  merged into it as duplicates are told too (once per duplicate: a request answered again after
  reopening does not tell them twice).
- ``PUBLIC_STATUS``: the plain status text the enterprise reads for each step on the tracking
  page and in the public API, translated when read. Steps without one (notes, escalations,
  deliveries to platforms) are internal; an event's own text is shown only if it is public.
"""

from types import SimpleNamespace

from django.db import transaction
from django.db.models import BigIntegerField, CharField, DateField, DateTimeField, F, JSONField, Value
from django.db.models.functions import Cast, Concat, JSONObject, Left
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from deputies.models import Person, Station
from liaison.core.bulk import insert_select_all
from liaison.core.compiled import Bound
from liaison.core.models import Notification
from liaison.core.notifications import (
    absolute_url,
    admin_link,
    check_template_once,
    freeze,
    notify,
    queue,
    ref_in_sql,
    user_channels,
)
from points.models import GroupRobot

from .models import SYSTEM_LABEL, Petition, PetitionEvent, Status, system_note

Action = PetitionEvent.Action

ENTERPRISE_SMS = {
    (Action.SUBMIT, Status.SUBMITTED): "enterprise_received",
    (Action.ACCEPT, Status.ACCEPTED): "enterprise_accepted",
    (Action.REJECT, Status.REJECTED): "enterprise_rejected",
    (Action.MERGE, Status.MERGED): "enterprise_merged",
    (Action.DISPATCH, Status.DISPATCHED): "enterprise_dispatched",
    (Action.RESOLVE_ON_SITE, Status.RESOLVED): "enterprise_answered",
    (Action.REPLY, Status.RESOLVED): "enterprise_answered",
    (Action.RATE, Status.ACCEPTED): "enterprise_reopened",
    (Action.RATE, Status.CLOSED): "enterprise_closed",
    (Action.CONFIRM, Status.CLOSED): "enterprise_closed",
}

DUPLICATES_TOLD = {(Action.RESOLVE_ON_SITE, Status.RESOLVED), (Action.REPLY, Status.RESOLVED)}

PUBLIC_STATUS = {
    Action.SUBMIT: gettext_lazy("Received"),
    Action.ACCEPT: gettext_lazy("Accepted and being handled"),
    Action.REJECT: gettext_lazy("Not accepted"),
    Action.MERGE: gettext_lazy("Merged with a request on the same matter"),
    Action.RESOLVE_ON_SITE: gettext_lazy("Answered"),
    Action.DISPATCH: gettext_lazy("Assigned to a department"),
    Action.SIGN: gettext_lazy("The department has taken it on"),
    Action.RETURN: gettext_lazy("Being assigned to the right department"),
    Action.REPLY: gettext_lazy("Answered"),
    Action.CONFIRM: gettext_lazy("Closed"),
    Action.RATE: gettext_lazy("Rated"),
    Action.ADD_INFO: gettext_lazy("Information added"),
}


def public_timeline(petition: Petition, events=None) -> list[dict]:
    """The timeline as the enterprise reads it: each public step's status text (in the reader's
    language), its time, and the event's text only where that text is public. ``events``: the
    request's whole timeline when the caller has it (a request just filed), else it is read."""
    if events is None:
        events = petition.events.filter(action__in=list(PUBLIC_STATUS)).order_by("created_at", "id")
    else:
        events = sorted((e for e in events if e.action in PUBLIC_STATUS), key=lambda e: (e.created_at, e.pk))
    return [
        {
            "action": event.action,
            "action_label": str(PUBLIC_STATUS[event.action]),
            "text": event.shown_text if event.public else "",
            "created_at": event.created_at,
        }
        for event in events
    ]


def tracking_link(petition: Petition) -> str:
    return absolute_url(petition.get_tracking_url())


def _facts(petition: Petition) -> dict:
    """What the message states as it was when the event happened: it is rendered when sent,
    and by then the request may have moved on (a reopened request has no department)."""
    department = petition.department
    return {
        "department_name": department.name if department is not None else "",
        "sign_due": _date(petition.due_date),
        "reply_due": _date(petition.reply_due),
    }


def _date(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


def _enterprise(event: PetitionEvent, petition: Petition, now) -> None:
    template = ENTERPRISE_SMS.get((event.action, event.to_status))
    if not template or event.from_status == event.to_status or not petition.contact_phone:
        return
    notify(
        key=f"enterprise:{event.pk}:sms",
        template=template,
        context={"petition": petition, "event": event, **_facts(petition)},
        channel=Notification.Channel.SMS,
        address=petition.contact_phone,
        link=tracking_link(petition),
        now=now,
    )


def _merged_into(petition: Petition) -> list[Petition]:
    """The requests merged into ``petition``, and those merged into them before they were merged
    on (C into A, then A into B: both A and C are answered with B). One query per level; a
    merge needs an open target, so the chain is short and has no cycle."""
    found, level, seen = [], [petition.pk], {petition.pk}
    while level:
        rows = list(
            Petition.objects.filter(merged_into_id__in=level)
            .exclude(pk__in=seen)
            .only("pk", "number", "access_token", "contact_phone")
        )
        level = [row.pk for row in rows]
        seen.update(level)
        found.extend(rows)
    return found


def _duplicates(event: PetitionEvent, petition: Petition, now) -> None:
    """The filers of the requests merged into ``petition`` (directly or through a request merged
    into it): theirs is answered with it. Each is told on their own request's tracking link,
    which shows where it was merged."""
    for duplicate in (row for row in _merged_into(petition) if row.contact_phone):
        notify(
            key=f"duplicate-answered:{duplicate.pk}:sms",
            template="enterprise_duplicate_answered",
            context={"petition": duplicate, "main_number": petition.number},
            channel=Notification.Channel.SMS,
            address=duplicate.contact_phone,
            link=tracking_link(duplicate),
            now=now,
        )


def _people_channels(user, person) -> list[tuple[str, str]]:
    """A staff member's channels: the work desk and e-mail, and SMS where their Person has a phone."""
    phone = person.phone if person is not None else ""
    return [*user_channels(user.email), *([(Notification.Channel.SMS, phone)] if phone else [])]


def _tell_users(users, *, key, template, context, link, now) -> int:
    created = 0
    for user in users:
        person = Person.objects.filter(user=user).first()
        for channel, address in _people_channels(user, person):
            created += bool(
                notify(
                    key=f"{key}:{user.pk}:{channel}",
                    template=template,
                    context=context,
                    channel=channel,
                    user=user,
                    address=address,
                    link=link,
                    now=now,
                )
            )
    return created


def _deputy_or_heads(petition: Petition, now):
    """The handling deputy's account, or else the point heads' accounts."""
    deputy = petition.deputy
    if deputy is not None and deputy.user_id and deputy.user.is_active:
        return [deputy.user]
    heads = Station.objects.heads(timezone.localdate(now)).filter(
        point=petition.point_id, person__user__isnull=False, person__user__is_active=True
    )
    return [station.person.user for station in heads.select_related("person__user")]


def _dispatched(event, petition, now) -> None:
    """The department's handlers in the work desk, by e-mail and SMS; a department without
    handler accounts by SMS to its office phone; one without accounts or a platform is flagged
    on the (internal) timeline so the point follows it up by phone."""
    department = petition.department
    context = {
        "petition": petition,
        "department": department,
        "instructions": petition.dispatch_instructions,
        **_facts(petition),
    }
    key = f"dispatch:{event.pk}"
    handlers = list(department.handlers.filter(is_active=True))
    _tell_users(
        handlers, key=key, template="handler_dispatch", context=context, link=admin_link(Petition, petition.pk), now=now
    )
    if handlers:
        return
    if department.phone:
        notify(
            key=f"{key}:department:sms",
            template="handler_dispatch",
            context=context,
            channel=Notification.Channel.SMS,
            address=department.phone,
            now=now,
        )
    if department.platform_id is None:
        how = (
            system_note(gettext_noop("An SMS went to its office phone %(phone)s."), phone=department.phone)
            if department.phone
            else system_note(gettext_noop("It has no office phone either."))
        )
        note = system_note(
            gettext_noop(
                "%(department)s has no handler account and no platform: nobody there sees it in the portal. "
                "%(how)s Please follow it up by phone."
            ),
            department=department.name,
            how=how,
        )
        PetitionEvent.objects.create(
            petition=petition,
            action=Action.NOTE,
            from_status=petition.status,
            to_status=petition.status,
            actor_label=SYSTEM_LABEL,
            note=note,
            text=PetitionEvent(note=note).shown_text,
            public=False,
            created_at=now,
        )


def _back_to_triage(template):
    def tell(event, petition, now) -> None:
        _tell_users(
            _deputy_or_heads(petition, now),
            key=f"{template}:{event.pk}",
            template=template,
            context={"petition": petition, "event": event},
            link=admin_link(Petition, petition.pk),
            now=now,
        )

    return tell


STAFF = {
    (Action.DISPATCH, Status.DISPATCHED): _dispatched,
    (Action.RETURN, Status.ACCEPTED): _back_to_triage("staff_returned"),
    (Action.RATE, Status.ACCEPTED): _back_to_triage("staff_unsatisfied"),
}


def _submitted(event: PetitionEvent, petition: Petition, now) -> None:
    """A new request: the enterprise's SMS (as ``_enterprise``), the group robots' messages (as
    ``notify_robots``) and the point's head and deputies in the work desk and by e-mail, recorded
    with one INSERT … SELECT; the SMS and robot messages are queued after commit, as ``notify``
    does, the others left to the periodic delivery scan. Submission is the public path every
    enterprise takes, so its messages cost one statement, not six, compiled once per process
    (``_submitted_parts``) and given this request's values."""
    sms = bool(petition.contact_phone)
    sms_template = ENTERPRISE_SMS[(event.action, event.to_status)]
    if sms:
        check_template_once(sms_template, (Notification.Channel.SMS,))
    check_template_once("robot_new_request", (Notification.Channel.ROBOT,))
    check_template_once("new_request", (Notification.Channel.IN_APP, Notification.Channel.EMAIL))
    values = {
        "petition": petition.pk,
        "point": petition.point_id,
        "organisation": petition.point.organisation_id,
        "today": _today(now),
        "now": now,
        "link": admin_link(Petition, petition.pk),
        "robot_key": f"new-request:{petition.pk}:robot:",
        "staff_key": f"new-request:{petition.pk}:",
    }
    if sms:
        values.update(
            sms_key=f"enterprise:{event.pk}:sms",
            sms_context=freeze({"petition": petition, "event": event, **_facts(petition)}),
            phone=petition.contact_phone,
            tracking=tracking_link(petition),
        )
    rows = insert_select_all(
        Notification,
        lambda: _submitted_parts(sms, sms_template),
        ignore_conflicts=True,
        returning=("id", "channel"),
        cache_key=("new-request", sms, sms_template),
        values=values,
    )
    for pk, channel in rows:
        if channel in (Notification.Channel.SMS, Notification.Channel.ROBOT):
            transaction.on_commit(lambda pk=pk: queue(pk))


def _submitted_parts(sms: bool, sms_template: str) -> list:
    """The parts of ``_submitted``'s statement, with its request's values as ``Bound``."""
    char, date, when = CharField(), DateField(), DateTimeField()
    integer = BigIntegerField()
    petition_ref = JSONObject(__model__=Value(Petition._meta.label_lower), pk=Bound("petition", integer))
    link, now = Bound("link", char), Bound("now", when)
    parts = []
    if sms:
        parts.append(
            _message(
                Petition.objects.filter(pk=Bound("petition", integer)),
                key=Bound("sms_key", char),
                template=sms_template,
                context=Bound("sms_context", JSONField()),
                channel=Notification.Channel.SMS,
                address=Bound("phone", char),
                link=Bound("tracking", char),
                now=now,
            )
        )
    point = SimpleNamespace(pk=Bound("point", integer), organisation_id=Bound("organisation", integer))
    parts.append(
        _message(
            GroupRobot.objects.for_event(point, GroupRobot.Event.NEW_REQUEST),
            key=Concat(Bound("robot_key", char), _text("id"), output_field=char),
            template="robot_new_request",
            context=JSONObject(petition=petition_ref, robot=ref_in_sql(GroupRobot)),
            channel=Notification.Channel.ROBOT,
            address=Left(Concat(Value("#"), _text("id"), Value(" "), "name", output_field=char), 200),
            link=link,
            now=now,
        )
    )
    # Who ``user_channels`` reaches: the work desk always, e-mail where the account has one.
    staff = (
        Station.objects.current(Bound("today", date))
        .filter(point=Bound("point", integer), person__user__isnull=False, person__user__is_active=True)
        .exclude(person__kind=Person.Kind.GRID_WORKER)
    )
    for channel, rows, address in (
        (Notification.Channel.IN_APP, staff, Value("")),
        (Notification.Channel.EMAIL, staff.exclude(person__user__email=""), F("person__user__email")),
    ):
        parts.append(
            _message(
                rows,
                key=Concat(Bound("staff_key", char), _text("person__user_id"), Value(f":{channel}"), output_field=char),
                template="new_request",
                context=JSONObject(petition=petition_ref, person=ref_in_sql(Person, "person_id")),
                channel=channel,
                user_id=F("person__user_id"),
                address=address,
                link=link,
                now=now,
            )
        )
    return parts


def _text(field):
    return Cast(field, CharField())


def _today(now):
    return timezone.localdate(now)


def _message(rows, *, key, template, context, channel, address, link, now, user_id=None):
    """One part of ``insert_select_all``: a message per row of ``rows``, as ``notify`` records it."""
    return (
        rows,
        {
            "key": key,
            "template": template,
            "context": context,
            "channel": channel,
            "user_id": user_id,
            "address": address,
            "link": link,
            "next_attempt_at": now,
        },
    )


def tell(event: PetitionEvent, petition: Petition, now) -> None:
    """Record the messages of ``event`` (just inserted, in the step's transaction)."""
    if (event.action, event.to_status) == (Action.SUBMIT, Status.SUBMITTED) and event.from_status != event.to_status:
        _submitted(event, petition, now)
        return
    _enterprise(event, petition, now)
    if (event.action, event.to_status) in DUPLICATES_TOLD and event.from_status != event.to_status:
        _duplicates(event, petition, now)
    staff = STAFF.get((event.action, event.to_status))
    if staff is not None and event.from_status != event.to_status:
        staff(event, petition, now)
