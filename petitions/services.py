"""Every write to a request. Views, admin actions, API endpoints and tasks call these.

Each workflow step is declared here, on its function (``@step``, see ``workflow``), and runs in
one transaction: it locks the row, checks the step's source states and the actor's rights,
saves only the fields it changes, and inserts the timeline row. A refused step raises
``TransitionRefused``; nothing is a silent no-op.
"""

import datetime as dt

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import messages, platforms
from .deadlines import deadline, deadline_text, due_fields, end_of_day
from .forms import (
    AcceptForm,
    AddInfoForm,
    ConfirmForm,
    DispatchForm,
    MergeForm,
    NoteForm,
    RateForm,
    ReasonForm,
    ResolveForm,
    ResultForm,
    UrgencyForm,
)
from .models import (
    OPEN_STATUSES,
    URGENCY_RANK,
    Attachment,
    Department,
    Petition,
    PetitionCounter,
    PetitionEvent,
    Satisfaction,
    Stage,
    Status,
    Urgency,
    label_note,
    system_note,
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


def _store_attachments(petition, uploads: list[CleanUpload], purpose=Attachment.Purpose.ENTERPRISE) -> None:
    for upload in uploads:
        attachment = Attachment(
            petition=petition,
            kind=upload.kind,
            purpose=purpose,
            original_name=upload.original_name,
            size=len(upload.content),
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
            for name, value in _due(petition, Stage.ACCEPT, now).items():
                setattr(petition, name, value)
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


def check_step(petition: Petition, action: str, actor):
    """Raise TransitionRefused unless ``actor`` may take step ``action`` on ``petition`` as
    given; return the step. Services check the locked row; pages check before showing a form."""
    rule = STEPS[action]
    if petition.status not in rule.sources:
        raise TransitionRefused(
            _("This request is %(status)s; “%(action)s” is not possible now.")
            % {"status": petition.get_status_display(), "action": rule.label}
        )
    if not actor_rights(actor, petition) & rule.rights:
        raise TransitionRefused(_("You may not “%(action)s” this request.") % {"action": rule.label})
    return rule


def _transition(
    petition: Petition, action: str, actor, *, now=None, text="", note=None, public=True, check=None, **changes
) -> Petition:
    """The step ``action`` on the locked row, with its timeline entry: ``text`` as a person
    wrote it, or ``note`` (``system_note``) for what the portal writes, read in each reader's
    language."""
    now = now or timezone.now()
    if note:
        text = PetitionEvent(note=note).shown_text
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        rule = check_step(locked, action, actor)
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
            note=note or {},
            public=public,
            **_actor_fields(actor),
        )
    petition.refresh_from_db()
    return petition


def _due(petition, stage: str, start, *, urgency=None, prefix="due") -> dict:
    """The deadline fields of ``stage`` started at ``start`` (see ``deadlines``)."""
    when = deadline(category=petition.category, urgency=urgency or petition.urgency, stage=stage, start=start)
    return due_fields(when, prefix=prefix)


NO_DEADLINE = due_fields(None)


def _handling_due(petition, now, urgency=None) -> dict:
    return _due(petition, Stage.HANDLE, now, urgency=urgency)


@step("accept", _("Accept"), [Status.SUBMITTED], Status.ACCEPTED, TRIAGE, form=AcceptForm)
def petition_accept(*, petition, actor, urgency: str | None = None, now=None) -> Petition:
    """submitted → accepted at ``urgency`` (the urgency it has, normal unless set, if None).
    The accepting person becomes the handling deputy; the point's handling deadline starts."""
    now = now or timezone.now()
    if urgency is not None and urgency not in Urgency.values:
        raise TransitionRefused(_("Please choose the urgency."))
    urgency = urgency or petition.urgency
    person = getattr(actor, "person", None)
    changes = {"accepted_at": now, "urgency": urgency, **_handling_due(petition, now, urgency)}
    if person is not None:
        changes["deputy"] = person
    return _transition(petition, "accept", actor, now=now, **changes)


def _stage_start(petition: Petition):
    """When the stage ``petition`` is in began: its deadline counts from there."""
    if petition.status == Status.SUBMITTED:
        return petition.submitted_at
    if petition.status in (Status.DISPATCHED, Status.IN_PROGRESS):
        return petition.dispatched_at
    # Accepted: since the acceptance, the return by a department or the reopening, the latest.
    entered = (
        petition.events.filter(to_status=Status.ACCEPTED)
        .exclude(from_status=Status.ACCEPTED)
        .values_list("created_at", flat=True)
        .order_by("-created_at", "-id")
        .first()
    )
    return entered or petition.accepted_at or petition.submitted_at


@step("set_urgency", _("Set urgency"), OPEN_STATUSES, None, TRIAGE, form=UrgencyForm)
def petition_set_urgency(*, petition, actor, urgency: str, now=None) -> Petition:
    """Change an open request's urgency; the current stage's deadline (and, once dispatched,
    the reply deadline) is counted again from the stage's start at the new urgency, so it may
    be overdue at once. The timeline says from what to what."""
    now = now or timezone.now()
    if urgency not in Urgency.values:
        raise TransitionRefused(_("Please choose the urgency."))
    if urgency == petition.urgency:
        raise TransitionRefused(_("The request already has this urgency."))
    start = _stage_start(petition)
    changes = {"urgency": urgency}
    if petition.status in (Status.DISPATCHED, Status.IN_PROGRESS):
        reply = _due(petition, Stage.REPLY, start, urgency=urgency, prefix="reply_due")
        if URGENCY_RANK[urgency] < URGENCY_RANK[petition.urgency] and petition.reply_due_at:
            # More urgent never means later: a reply date chosen at dispatch (and told to the
            # enterprise) that is nearer than the new rule's stays.
            reply = due_fields(min(reply["reply_due_at"], petition.reply_due_at), prefix="reply_due")
        changes.update(reply)
        if petition.status == Status.DISPATCHED:
            sign = _due(petition, Stage.SIGN, start, urgency=urgency)["due_at"]
            changes.update(due_fields(min(sign, reply["reply_due_at"])))
        else:
            changes.update(due_fields(reply["reply_due_at"]))
    else:
        stage = Stage.ACCEPT if petition.status == Status.SUBMITTED else Stage.HANDLE
        changes.update(_due(petition, stage, start, urgency=urgency))
    note = system_note(
        gettext_noop("Urgency: %(old)s → %(new)s"),
        old=label_note(Urgency(petition.urgency).label),
        new=label_note(Urgency(urgency).label),
    )

    def check(locked):
        if locked.status != petition.status:
            raise TransitionRefused(_("The request has moved on meanwhile; please look at it again."))

    return _transition(petition, "set_urgency", actor, now=now, note=note, public=False, check=check, **changes)


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
    return _transition(petition, "reject", actor, now=now, text=reason, closed_at=now, **NO_DEADLINE)


@step("merge", _("Merge as duplicate"), [Status.SUBMITTED, Status.ACCEPTED], Status.MERGED, TRIAGE, form=MergeForm)
def petition_merge(*, petition, into, actor, now=None) -> Petition:
    """submitted/accepted → merged into another open request of the same point."""
    now = now or timezone.now()

    def check(locked):
        # The target as it is now, not as the merge form read it: merged, closed or rejected
        # in between (a second tab, a colleague merging it the other way), it is refused, so
        # that no request is merged into a merged one and no two into each other.
        target = Petition.objects.filter(pk=into.pk).values("point_id", "status").first()
        if (
            target is None
            or into.pk == locked.pk
            or target["point_id"] != locked.point_id
            or target["status"]
            not in (
                Status.SUBMITTED,
                Status.ACCEPTED,
                Status.DISPATCHED,
                Status.IN_PROGRESS,
            )
        ):
            raise TransitionRefused(_("A request can only be merged into another open request of the same point."))

    with transaction.atomic():
        # Both rows locked, lower id first, whichever way two merges of the pair run at once.
        list(Petition.objects.select_for_update().filter(pk__in=[petition.pk, into.pk]).order_by("pk").values("pk"))
        return _transition(
            petition,
            "merge",
            actor,
            now=now,
            check=check,
            note=system_note(gettext_noop("Merged into %(number)s"), number=into.number),
            merged_into=into,
            closed_at=now,
            **NO_DEADLINE,
        )


def _summary(public_summary: str) -> dict:
    """The public summary to store, if staff wrote one (an earlier one stays otherwise)."""
    summary = " ".join((public_summary or "").split())[:100]
    return {"public_summary": summary} if summary else {}


@step("resolve_on_site", _("Resolve on site"), [Status.ACCEPTED], Status.RESOLVED, TRIAGE, form=ResolveForm)
def petition_resolve_on_site(*, petition, actor, result, public_summary="", letters=(), now=None) -> Petition:
    """accepted → resolved: the deputy settled it without a department. ``public_summary``
    is what public screens may show of it (nothing is shown without one); ``letters`` are the
    reply letters (答复函) addressed to the enterprise."""
    now = now or timezone.now()
    result = _required(result, _("the result"))
    with transaction.atomic():
        petition = _transition(
            petition,
            "resolve_on_site",
            actor,
            now=now,
            text=result,
            resolution=result,
            resolved_at=now,
            **NO_DEADLINE,
            **_summary(public_summary),
        )
        _store_attachments(petition, list(letters), Attachment.Purpose.REPLY_LETTER)
    return petition


@step("dispatch", _("Dispatch to a department"), [Status.ACCEPTED], Status.DISPATCHED, TRIAGE, form=DispatchForm)
def petition_dispatch(
    *, petition, actor, department: Department, due: dt.date | None = None, instructions: str = "", now=None
) -> Petition:
    """accepted → dispatched to ``department``; it must sign within the sign limit and reply
    by the end of ``due`` (default: the reply limit of its category and urgency), and signing
    is never due after the reply. ``instructions`` (交办意见, optional) are kept on the request
    for the department and written to the internal timeline, never shown to the enterprise."""
    now = now or timezone.now()
    today = _today(now)
    if due is not None and due <= today:
        raise TransitionRefused(_("The reply deadline must be after today."))
    reply_due_at = end_of_day(due) if due else _due(petition, Stage.REPLY, now)["due_at"]
    if not department.active:
        raise TransitionRefused(_("This department no longer takes requests."))
    if not Department.objects.serving(petition.point).filter(pk=department.pk).exists():
        raise TransitionRefused(_("This department does not serve this point's area."))
    sign_due_at = min(_due(petition, Stage.SIGN, now)["due_at"], reply_due_at)
    reply = due_fields(reply_due_at, prefix="reply_due")
    instructions = (instructions or "").strip()
    with transaction.atomic():
        petition = _transition(
            petition,
            "dispatch",
            actor,
            now=now,
            note=system_note(
                gettext_noop("To %(department)s, reply due %(due)s"),
                department=department.name,
                due=deadline_text(reply_due_at),
            ),
            department=department,
            dispatched_at=now,
            dispatch_instructions=instructions,
            **reply,
            **due_fields(sign_due_at),
        )
        if instructions:
            note = system_note(gettext_noop("Dispatch instructions: %(text)s"), text=instructions)
            _record(
                petition,
                now=now,
                action=PetitionEvent.Action.NOTE,
                text=PetitionEvent(note=note).shown_text,
                note=note,
                public=False,
                **_actor_fields(actor),
            )
    if department.platform_id and department.platform.subscribed:
        event_id = petition.events.filter(action=PetitionEvent.Action.DISPATCH).latest("created_at", "id").pk
        transaction.on_commit(lambda: platforms.record_dispatch(event_id), robust=True)  # else the scan records it
    return petition


@step("sign", _("Sign for it"), [Status.DISPATCHED], Status.IN_PROGRESS, HANDLE)
def petition_sign(*, petition, actor, now=None) -> Petition:
    """dispatched → in progress: the department takes it on; the reply deadline now applies."""

    return _transition(petition, "sign", actor, now=now, due_at=F("reply_due_at"), due_date=F("reply_due"))


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
        dispatch_instructions="",
        **due_fields(None, prefix="reply_due"),
        **_handling_due(petition, now),
    )


@step("reply", _("Reply with the result"), [Status.IN_PROGRESS], Status.RESOLVED, HANDLE, form=ResultForm)
def petition_reply(*, petition, actor, result, letters=(), now=None) -> Petition:
    """in progress → resolved, with the department's result and its reply letters (答复函),
    which the enterprise reads on its tracking page."""
    now = now or timezone.now()
    result = _required(result, _("the result"))
    with transaction.atomic():
        petition = _transition(
            petition, "reply", actor, now=now, text=result, resolution=result, resolved_at=now, **NO_DEADLINE
        )
        _store_attachments(petition, list(letters), Attachment.Purpose.REPLY_LETTER)
    return petition


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
            dispatch_instructions="",
            **due_fields(None, prefix="reply_due"),
            resolved_at=None,
            resolution="",  # superseded: the current result is the next one; the timeline keeps this
            public_summary="",
            closed_at=None,
            **_handling_due(petition, now),
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
