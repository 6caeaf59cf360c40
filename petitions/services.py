"""Every write to a request. Views, admin actions, API endpoints and tasks call these.

Each workflow step is declared here, on its function (``@step``, see ``workflow``), and runs in
one transaction: it locks the row, checks the step's source states and the actor's rights,
saves only the fields it changes, and inserts the timeline row. A refused step raises
``TransitionRefused``; nothing is a silent no-op.
"""

import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.core.workdays import add_workdays

from . import messages, platforms
from .forms import (
    AddInfoForm,
    ConfirmForm,
    DispatchForm,
    MergeForm,
    NoteForm,
    RateForm,
    ReasonForm,
    ResolveForm,
    ResultForm,
)
from .models import (
    OPEN_STATUSES,
    Attachment,
    Department,
    Petition,
    PetitionCounter,
    PetitionEvent,
    Satisfaction,
    Status,
)
from .uploads import CleanUpload
from .workflow import ENTERPRISE, ENTERPRISE_ACTOR, HANDLE, STEPS, TRIAGE, PublicActor, SystemActor, actor_rights, step


class TransitionRefused(Exception):
    """The request is not in a state for this, or the actor may not do it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _actor_fields(actor) -> dict:
    if isinstance(actor, PublicActor | SystemActor):
        return {"actor": None, "actor_label": str(actor)[:60]}
    person = getattr(actor, "person", None) if actor.pk else None
    label = person.name if person else (actor.get_full_name() or actor.get_username())
    return {"actor": actor, "actor_label": label[:60]}


def _today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def _next_number(point, now) -> str:
    year = _today(now).year
    # UPDATE … RETURNING: one statement takes the row lock until commit (concurrent submissions
    # queue here) and reads the new value back.
    last = _bump_counter(point.pk, year)
    if last is None:
        PetitionCounter.objects.get_or_create(point=point, year=year)  # the year's first request
        last = _bump_counter(point.pk, year)
    return f"{point.code.upper()}-{year}-{last:05d}"


def _bump_counter(point_id: int, year: int) -> int | None:
    meta = PetitionCounter._meta
    quote = connection.ops.quote_name
    table, last, point, year_column = (
        quote(meta.db_table),
        quote(meta.get_field("last").column),
        quote(meta.get_field("point").column),
        quote(meta.get_field("year").column),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 WHERE {point} = %s AND {year_column} = %s RETURNING {last}",  # noqa: S608
            [point_id, year],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _store_attachments(petition, uploads: list[CleanUpload]) -> None:
    for upload in uploads:
        attachment = Attachment(
            petition=petition, kind=upload.kind, original_name=upload.original_name, size=len(upload.content)
        )
        attachment.file.save("upload", ContentFile(upload.content), save=False)
        attachment.save()


def petition_submit(*, petition: Petition, actor, uploads=(), submission_key=None, now=None) -> tuple[Petition, bool]:
    """File a new request from an unsaved ``petition`` built by a form.

    Returns ``(petition, created)``. With a ``submission_key`` (the form's one-time key), a
    retried or double-clicked submission returns the request the first one created.
    Anyone may submit: the enterprise through a point's QR code, or staff on its behalf.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            petition.submission_key = submission_key
            petition.status = Status.SUBMITTED
            petition.submitted_at = now
            petition.due_date = add_workdays(_today(now), settings.PETITION_ACCEPT_WORKDAYS)
            petition.number = _next_number(petition.point, now)
            if not isinstance(actor, PublicActor | SystemActor):
                petition.created_by = actor
            if petition.enterprise_id and not petition.enterprise_name:
                petition.enterprise_name = petition.enterprise.name
            petition.save()
            _store_attachments(petition, list(uploads))
            # The request's timeline so far, for callers that answer with it (the public API).
            petition.new_events = [
                _record(
                    petition,
                    now=now,
                    action=PetitionEvent.Action.SUBMIT,
                    to_status=Status.SUBMITTED,
                    text=petition.get_channel_display(),
                    **_actor_fields(actor),
                )
            ]
    except IntegrityError:
        # The same submission was filed before (or concurrently): return that request. Callers
        # that must not count a retry against limits look the key up first (petitions.intake).
        if submission_key:
            existing = Petition.objects.filter(submission_key=submission_key).first()
            if existing:
                return existing, False
        raise
    return petition, True


def _record(petition: Petition, *, now, **fields) -> PetitionEvent:
    """Insert a timeline row and, in the same transaction, the messages it causes (the
    enterprise's SMS, the staff's, the group robots': ``messages``), keyed on the row so each
    is recorded once. Recorded with the step, sent after commit: a broker outage delays, never
    loses, them."""
    event = PetitionEvent.objects.create(petition=petition, created_at=now, **fields)
    messages.tell(event, petition, now)
    return event


def _transition(
    petition: Petition, action: str, actor, *, now=None, text="", public=True, check=None, **changes
) -> Petition:
    now = now or timezone.now()
    rule = STEPS[action]
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.status not in rule.sources:
            raise TransitionRefused(
                _("This request is %(status)s; “%(action)s” is not possible now.")
                % {"status": locked.get_status_display(), "action": rule.label}
            )
        if not actor_rights(actor, locked) & rule.rights:
            raise TransitionRefused(_("You may not “%(action)s” this request.") % {"action": rule.label})
        if check:
            check(locked)
        from_status = locked.status
        target = changes.pop("status", rule.target)
        fields = []
        if target and target != from_status:
            locked.status = target
            fields.append("status")
        for name, value in changes.items():
            setattr(locked, name, value)
            fields.append(name)
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
        _record(
            locked,
            now=now,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            text=text,
            public=public,
            **_actor_fields(actor),
        )
    petition.refresh_from_db()
    return petition


def _handling_due(now) -> dt.date:
    return add_workdays(_today(now), settings.PETITION_DISPATCH_WORKDAYS)


@step("accept", _("Accept"), [Status.SUBMITTED], Status.ACCEPTED, TRIAGE)
def petition_accept(*, petition, actor, now=None) -> Petition:
    """submitted → accepted. The accepting person becomes the handling deputy."""
    now = now or timezone.now()
    person = getattr(actor, "person", None)
    changes = {"accepted_at": now, "due_date": _handling_due(now)}
    if person is not None:
        changes["deputy"] = person
    return _transition(petition, "accept", actor, now=now, **changes)


def _required(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TransitionRefused(_("Please give %(what)s.") % {"what": what})
    return text


@step("reject", _("Reject"), [Status.SUBMITTED], Status.REJECTED, TRIAGE, form=ReasonForm)
def petition_reject(*, petition, actor, reason, now=None) -> Petition:
    """submitted → rejected, with a reason the enterprise sees."""
    now = now or timezone.now()
    reason = _required(reason, _("a reason"))
    return _transition(petition, "reject", actor, now=now, text=reason, due_date=None, closed_at=now)


@step("merge", _("Merge as duplicate"), [Status.SUBMITTED, Status.ACCEPTED], Status.MERGED, TRIAGE, form=MergeForm)
def petition_merge(*, petition, into, actor, now=None) -> Petition:
    """submitted/accepted → merged into another open request of the same point."""
    now = now or timezone.now()

    def check(locked):
        if (
            into.pk == locked.pk
            or into.point_id != locked.point_id
            or into.status
            not in (
                Status.SUBMITTED,
                Status.ACCEPTED,
                Status.DISPATCHED,
                Status.IN_PROGRESS,
            )
        ):
            raise TransitionRefused(_("A request can only be merged into another open request of the same point."))

    return _transition(
        petition,
        "merge",
        actor,
        now=now,
        check=check,
        text=_("Merged into %(number)s") % {"number": into.number},
        merged_into=into,
        due_date=None,
        closed_at=now,
    )


def _summary(public_summary: str) -> dict:
    """The public summary to store, if staff wrote one (an earlier one stays otherwise)."""
    summary = " ".join((public_summary or "").split())[:100]
    return {"public_summary": summary} if summary else {}


@step("resolve_on_site", _("Resolve on site"), [Status.ACCEPTED], Status.RESOLVED, TRIAGE, form=ResolveForm)
def petition_resolve_on_site(*, petition, actor, result, public_summary="", now=None) -> Petition:
    """accepted → resolved: the deputy settled it without a department. ``public_summary``
    is what public screens may show of it (nothing is shown without one)."""
    now = now or timezone.now()
    result = _required(result, _("the result"))
    return _transition(
        petition,
        "resolve_on_site",
        actor,
        now=now,
        text=result,
        resolution=result,
        resolved_at=now,
        due_date=None,
        **_summary(public_summary),
    )


@step("dispatch", _("Dispatch to a department"), [Status.ACCEPTED], Status.DISPATCHED, TRIAGE, form=DispatchForm)
def petition_dispatch(*, petition, actor, department: Department, due: dt.date | None = None, now=None) -> Petition:
    """accepted → dispatched to ``department``; it must sign within the sign limit and reply
    by ``due`` (default: the reply limit in working days)."""
    now = now or timezone.now()
    today = _today(now)
    reply_due = due or add_workdays(today, settings.PETITION_REPLY_WORKDAYS)
    if reply_due <= today:
        raise TransitionRefused(_("The reply deadline must be after today."))
    if not department.active:
        raise TransitionRefused(_("This department no longer takes requests."))
    if not Department.objects.serving(petition.point).filter(pk=department.pk).exists():
        raise TransitionRefused(_("This department does not serve this point's area."))
    sign_due = min(add_workdays(today, settings.PETITION_SIGN_WORKDAYS), reply_due)
    petition = _transition(
        petition,
        "dispatch",
        actor,
        now=now,
        text=_("To %(department)s, reply due %(due)s") % {"department": department.name, "due": reply_due},
        department=department,
        dispatched_at=now,
        reply_due=reply_due,
        due_date=sign_due,
    )
    if department.platform_id and department.platform.subscribed:
        event_id = petition.events.filter(action=PetitionEvent.Action.DISPATCH).latest("created_at", "id").pk
        transaction.on_commit(lambda: platforms.record_dispatch(event_id), robust=True)  # else the scan records it
    return petition


@step("sign", _("Sign for it"), [Status.DISPATCHED], Status.IN_PROGRESS, HANDLE)
def petition_sign(*, petition, actor, now=None) -> Petition:
    """dispatched → in progress: the department takes it on; the reply deadline now applies."""

    return _transition(petition, "sign", actor, now=now, due_date=F("reply_due"))


@step(
    "return",
    _("Return as misrouted"),
    [Status.DISPATCHED, Status.IN_PROGRESS],
    Status.ACCEPTED,
    HANDLE,
    form=ReasonForm,
)
def petition_return(*, petition, actor, reason, now=None) -> Petition:
    """dispatched/in progress → accepted: not this department's business; triage again."""
    now = now or timezone.now()
    reason = _required(reason, _("a reason"))
    return _transition(
        petition,
        "return",
        actor,
        now=now,
        text=reason,
        public=False,  # the department's reason is for the point, not the enterprise
        department=None,
        dispatched_at=None,
        reply_due=None,
        due_date=_handling_due(now),
    )


@step("reply", _("Reply with the result"), [Status.IN_PROGRESS], Status.RESOLVED, HANDLE, form=ResultForm)
def petition_reply(*, petition, actor, result, now=None) -> Petition:
    """in progress → resolved, with the department's result."""
    now = now or timezone.now()
    result = _required(result, _("the result"))
    return _transition(
        petition, "reply", actor, now=now, text=result, resolution=result, resolved_at=now, due_date=None
    )


@step("confirm", _("Confirm and close"), [Status.RESOLVED], Status.CLOSED, TRIAGE, form=ConfirmForm)
def petition_confirm(*, petition, actor, text="", public_summary="", now=None) -> Petition:
    """resolved → closed: the deputy confirms the result with the enterprise, and may write
    what public screens show of it."""
    now = now or timezone.now()
    return _transition(
        petition, "confirm", actor, now=now, text=text.strip(), closed_at=now, **_summary(public_summary)
    )


# Satisfied closes the request; unsatisfied reopens it (重办).
@step("rate", _("Record satisfaction"), [Status.RESOLVED, Status.CLOSED], None, ENTERPRISE, TRIAGE, form=RateForm)
def petition_rate(*, petition, actor, satisfaction, comment="", now=None) -> Petition:
    """Record the enterprise's satisfaction once per resolution. Satisfied (or basically)
    closes a resolved request; unsatisfied reopens it for re-handling (重办)."""
    now = now or timezone.now()
    if satisfaction not in Satisfaction.values:
        raise TransitionRefused(_("Please choose how satisfied you are."))

    def check(locked):
        if locked.satisfaction:
            raise TransitionRefused(_("This request has already been rated."))

    label = Satisfaction(satisfaction).label
    text = f"{label}：{comment.strip()}" if comment.strip() else str(label)
    if satisfaction == Satisfaction.UNSATISFIED:
        petition = _transition(
            petition,
            "rate",
            actor,
            now=now,
            check=check,
            text=text,
            status=Status.ACCEPTED,
            satisfaction="",
            reopen_count=F("reopen_count") + 1,
            department=None,
            reply_due=None,
            resolved_at=None,
            resolution="",  # superseded: the current result is the next one; the timeline keeps this
            public_summary="",
            closed_at=None,
            due_date=_handling_due(now),
        )
        return petition
    return _transition(
        petition,
        "rate",
        actor,
        now=now,
        check=check,
        text=text,
        status=Status.CLOSED,
        satisfaction=satisfaction,
        closed_at=petition.closed_at or now,
    )


@step("add_info", _("Add information"), OPEN_STATUSES, None, ENTERPRISE, form=AddInfoForm)
def petition_add_info(*, petition, text, attachments=(), actor=ENTERPRISE_ACTOR, now=None) -> Petition:
    """The enterprise adds information (and files) to an open request."""
    text = _required(text, _("the information to add"))
    with transaction.atomic():
        petition = _transition(petition, "add_info", actor, now=now, text=text)
        _store_attachments(petition, list(attachments))
    return petition


@step("note", _("Add an internal note"), Status.values, None, TRIAGE, HANDLE, form=NoteForm)
def petition_note(*, petition, actor, text, now=None) -> Petition:
    """An internal note by staff; never shown to the enterprise."""
    text = _required(text, _("the note"))
    return _transition(petition, "note", actor, now=now, text=text, public=False)
