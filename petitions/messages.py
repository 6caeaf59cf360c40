"""Who hears of each timeline event, and what the enterprise reads of it: one table each.

``_record`` in ``services`` calls ``tell`` inside the transaction of every step (and of the
submission), so a message is recorded with the event it reports or not at all; its key names
the event (``enterprise:<event id>:sms``), so it is recorded at most once per event whatever
runs again. The periodic delivery scan sends what was recorded.

- ``ENTERPRISE_SMS``: the step, by the status it reached, → the enterprise's SMS template.
  Only a change of status is reported (a second rating of a closed request says nothing).
- ``STAFF``: the step, by the status it reached, → who among the staff hears of it.
- ``DUPLICATES_TOLD``: the steps that answer a request, after which the filers of the requests
  merged into it as duplicates are told too (once per duplicate: a request answered again after
  reopening does not tell them twice).
- ``PUBLIC_STATUS``: the plain status text the enterprise reads for each step on the tracking
  page and in the public API, translated when read. Steps without one (notes, escalations,
  deliveries to platforms) are internal; an event's own text is shown only if it is public.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from deputies.models import Person, Station
from liaison.core.models import Notification
from liaison.core.notifications import absolute_url, admin_link, notify, user_channels
from points.models import GroupRobot
from points.robots import notify_robots

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


def public_timeline(petition: Petition) -> list[dict]:
    """The timeline as the enterprise reads it: each public step's status text (in the reader's
    language), its time, and the event's text only where that text is public."""
    events = petition.events.filter(action__in=list(PUBLIC_STATUS)).order_by("created_at", "id")
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


def _duplicates(event: PetitionEvent, petition: Petition, now) -> None:
    """The filers of the requests merged into ``petition``: theirs is answered with it. Each is
    told on their own request's tracking link, which shows where it was merged."""
    for duplicate in petition.duplicates.exclude(contact_phone="").only(
        "pk", "number", "access_token", "contact_phone"
    ):
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


def _new_request(event, petition, now) -> None:
    notify_robots(
        point=petition.point,
        event=GroupRobot.Event.NEW_REQUEST,
        key=f"new-request:{petition.pk}",
        template="robot_new_request",
        context={"petition": petition},
        link=admin_link(Petition, petition.pk),
        now=now,
    )


STAFF = {
    (Action.SUBMIT, Status.SUBMITTED): _new_request,
    (Action.DISPATCH, Status.DISPATCHED): _dispatched,
    (Action.RETURN, Status.ACCEPTED): _back_to_triage("staff_returned"),
    (Action.RATE, Status.ACCEPTED): _back_to_triage("staff_unsatisfied"),
}


def tell(event: PetitionEvent, petition: Petition, now) -> None:
    """Record the messages of ``event`` (just inserted, in the step's transaction)."""
    _enterprise(event, petition, now)
    if (event.action, event.to_status) in DUPLICATES_TOLD and event.from_status != event.to_status:
        _duplicates(event, petition, now)
    staff = STAFF.get((event.action, event.to_status))
    if staff is not None and event.from_status != event.to_status:
        staff(event, petition, now)
