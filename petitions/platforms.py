"""Outbound deliveries of requests to external platforms.

A dispatch to a department on a subscribed platform is recorded as a ``Delivery`` row right
after the dispatch commits (and by the periodic scan, should that moment be lost); the drain
task then sends due rows one at a time, each claimed with ``SELECT … FOR UPDATE SKIP LOCKED``
(see ``liaison.core.deliveries``), so however many drains run, each message has one sender at
a time and is delivered once. The message is Standard Webhooks: its ``webhook-id`` is the row's
``message_id``, the same on every attempt. Success writes the "sent" timeline entry, once;
exhausted retries and a 410 (the platform ended the subscription) tell the office staff.

Callbacks from platforms are ``petitions.callbacks``.
"""

import datetime as dt
import json
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema, inline_serializer
from rest_framework import serializers

from liaison.core.deliveries import Answer, DeliveryStatus, claim_next, next_attempt, post, still_claimed
from liaison.core.jobs import enqueue
from liaison.core.notifications import admin_link, notify_user
from liaison.core.webhooks import sign_headers

from .models import Delivery, ExternalPlatform, Petition, PetitionEvent, system_note

log = logging.getLogger(__name__)

PETITION_DISPATCHED = "petition.dispatched"
RESCAN_DAYS = 30  # dispatches older than this are not recorded by the scan any more
DRAIN_TASK = "petitions.tasks.drain_deliveries"
USER_AGENT = "liaison-webhooks/1"


# Recording -------------------------------------------------------------------------------------


def dispatch_data(event: PetitionEvent) -> dict:
    """The ``data`` of ``petition.dispatched``: what the department needs to handle it."""
    petition = event.petition
    return {
        "number": petition.number,
        "point": petition.point.name,
        "department": petition.department.name,
        "category": petition.category,
        "title": petition.title,
        "content": petition.content,
        "enterprise_name": petition.enterprise_name,
        "contact_name": petition.contact_name,
        "contact_phone": petition.contact_phone,
        "dispatched_at": timezone.localtime(petition.dispatched_at).isoformat() if petition.dispatched_at else None,
        "reply_due": petition.reply_due.isoformat() if petition.reply_due else None,
        "instructions": petition.dispatch_instructions,
    }


def record_dispatch(event_id: int, now=None) -> Delivery | None:
    """Record the delivery of one dispatch event to its department's platform and queue the
    drain. Returns the new row; None if there is nothing to send or it was recorded before, so
    it is safe to call again."""
    now = now or timezone.now()
    event = PetitionEvent.objects.select_related("petition__department__platform", "petition__point").get(pk=event_id)
    petition = event.petition
    platform = petition.department.platform if petition.department else None
    if event.action != PetitionEvent.Action.DISPATCH or platform is None or not platform.subscribed:
        return None
    if petition.events.filter(action=PetitionEvent.Action.DISPATCH, pk__gt=event.pk).exists():
        return None  # dispatched again since: the later dispatch is the one to send
    payload = {
        "type": PETITION_DISPATCHED,
        "timestamp": timezone.localtime(event.created_at).isoformat(),
        "data": dispatch_data(event),
    }
    try:
        with transaction.atomic():
            delivery, created = Delivery.objects.get_or_create(
                platform=platform,
                key=f"{PETITION_DISPATCHED}:{event.pk}",
                defaults={
                    "petition": petition,
                    "event": event,
                    "type": PETITION_DISPATCHED,
                    "payload": payload,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            )
    except IntegrityError:  # recorded at the same moment by the scan
        return None
    if not created:
        return None
    transaction.on_commit(queue_drain)
    return delivery


def queue_drain() -> None:
    """Ask a worker to drain due deliveries; if the broker is down, the periodic drain will."""
    enqueue(DRAIN_TASK)


def unrecorded_dispatches(now=None):
    """Ids of recent dispatch events to a subscribed platform, of requests still with that
    department, that have no delivery (nor a "sent" entry of the time before deliveries)."""
    now = now or timezone.now()
    legacy_pushed = PetitionEvent.objects.filter(
        petition=OuterRef("petition"), action=PetitionEvent.Action.PUSH, created_at__gte=OuterRef("created_at")
    )
    later_dispatch = PetitionEvent.objects.filter(
        petition=OuterRef("petition"), action=PetitionEvent.Action.DISPATCH, pk__gt=OuterRef("pk")
    )
    return (
        PetitionEvent.objects.filter(
            action=PetitionEvent.Action.DISPATCH,
            created_at__gte=now - dt.timedelta(days=RESCAN_DAYS),
            petition__status__in=["dispatched", "in_progress"],
            petition__department__platform__active=True,
            petition__department__platform__subscription_ended_at__isnull=True,
        )
        .exclude(Exists(Delivery.objects.filter(event=OuterRef("pk"))))
        .exclude(Exists(later_dispatch))
        .exclude(Exists(legacy_pushed))
        .values_list("pk", flat=True)
    )


def record_missing(now=None) -> int:
    """Record the deliveries that the moment after a dispatch did not (a process stopped in
    between). Re-runnable: a second run records nothing."""
    return sum(record_dispatch(event_id, now=now) is not None for event_id in list(unrecorded_dispatches(now)))


# Sending ---------------------------------------------------------------------------------------


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _still_wanted(delivery: Delivery) -> str:
    """Why this delivery should not be sent any more, or "" if it should."""
    platform = delivery.platform
    if not platform.active:
        return _("The platform is switched off.")
    if platform.subscription_ended_at is not None:
        return _("The platform ended its subscription.")
    if delivery.type == PETITION_DISPATCHED:
        petition = delivery.petition
        later = delivery.petition.events.filter(action=PetitionEvent.Action.DISPATCH, pk__gt=delivery.event_id)
        if petition.status not in ("dispatched", "in_progress") or later.exists():
            return _("The request is no longer with this department.")
    return ""


def send(delivery: Delivery, now=None) -> Answer:
    """POST one delivery, signed with the platform's secrets in use, within the deadline."""
    platform = delivery.platform
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        **sign_headers(platform.signing_secrets, delivery.message_id, body, legacy_secret=platform.secret),
    }
    return post(platform.webhook_url, body, headers, deadline=settings.DELIVERY_DEADLINE_SECONDS, now=now)


def lease() -> dt.timedelta:
    # Longer than one send may take, so a live sender never loses its row to another.
    return dt.timedelta(seconds=settings.DELIVERY_DEADLINE_SECONDS + 60)


def process_one(now=None) -> bool:
    """Claim one due delivery, send it and record the answer. False when nothing is due.

    Safe to run in parallel and again: a row is claimed by one sender under a lease, and the
    answer is recorded only while the claim holds."""
    now = now or timezone.now()
    claimed = claim_next(Delivery.objects.all(), now=now, lease=lease())
    if claimed is None:
        return False
    delivery = Delivery.objects.select_related("platform", "petition").get(pk=claimed.pk)
    reason = _still_wanted(delivery)
    if reason:
        still_claimed(claimed).update(status=DeliveryStatus.CANCELLED, last_error=reason)
        return True
    try:
        answer = send(delivery, now=now)
    except SoftTimeLimitExceeded:
        raise  # the task must stop; the row is retried when its lease runs out
    except Exception as exc:  # noqa: BLE001 — recorded and retried; one bad row must not stop the drain
        log.exception("delivery %s could not be sent", delivery.pk)
        answer = Answer(None, f"{type(exc).__name__}: {exc}"[:500])
    if answer.delivered:
        _delivered(claimed, delivery, answer, now)
    elif answer.gone:
        _gone(claimed, delivery, answer, now)
    else:
        _failed(claimed, delivery, answer, now)
    return True


def _delivered(claimed, delivery, answer, now) -> None:
    with transaction.atomic():
        if not still_claimed(claimed).update(
            status=DeliveryStatus.DELIVERED, delivered_at=now, last_status_code=answer.status, last_error=""
        ):
            return  # the lease ran out and another sender took over: its answer counts
        petition = delivery.petition
        note = system_note(
            gettext_noop("Delivered to %(platform)s (message %(id)s)"),
            platform=delivery.platform.name,
            id=delivery.message_id,
        )
        entry = PetitionEvent.objects.create(
            petition=petition,
            action=PetitionEvent.Action.PUSH,
            from_status=petition.status,
            to_status=petition.status,
            actor_label=delivery.platform.name[:60],
            note=note,
            text=PetitionEvent(note=note).shown_text,
            public=False,
            created_at=now,
        )
        Delivery.objects.filter(pk=delivery.pk).update(timeline_entry=entry)


def _gone(claimed, delivery, answer, now) -> None:
    """410: the platform no longer takes messages. Its subscription ends (nothing more is sent
    until staff renew it) and the office staff hear of it, once per ending."""
    with transaction.atomic():
        if not still_claimed(claimed).update(
            status=DeliveryStatus.FAILED, last_status_code=answer.status, last_error=answer.error
        ):
            return
        ended = ExternalPlatform.objects.filter(pk=delivery.platform_id, subscription_ended_at__isnull=True).update(
            subscription_ended_at=now
        )
        if ended:
            _tell_office(
                delivery,
                template="platform_gone",
                key=f"platform-gone:{delivery.platform_id}:{int(now.timestamp())}",
                now=now,
            )


def _failed(claimed, delivery, answer, now) -> None:
    exhausted = claimed.attempts >= settings.DELIVERY_MAX_ATTEMPTS
    with transaction.atomic():
        if not still_claimed(claimed).update(
            status=DeliveryStatus.FAILED if exhausted else DeliveryStatus.PENDING,
            next_attempt_at=now if exhausted else next_attempt(answer, claimed.attempts, now),
            last_status_code=answer.status,
            last_error=answer.error,
        ):
            return
        if exhausted:
            _tell_office(
                delivery,
                template="delivery_failed",
                key=f"delivery-failed:{delivery.pk}:{delivery.manual_retries}",
                now=now,
            )
    log.warning(
        "delivery %s to %s failed (attempt %s): %s", delivery.pk, delivery.platform, claimed.attempts, answer.error
    )


def office_staff(petition: Petition) -> list:
    """Active office staff of the request's point's organisation and the organisations above it."""
    staff, organisation = [], petition.point.organisation
    while organisation is not None:
        staff.extend(organisation.staff.filter(is_active=True))
        organisation = organisation.parent
    return list({user.pk: user for user in staff}.values())


def _tell_office(delivery, *, template, key, now) -> None:
    for user in office_staff(delivery.petition):
        notify_user(
            user,
            key=f"{key}:{user.pk}",
            template=template,
            context={"delivery": delivery, "petition": delivery.petition, "platform": delivery.platform},
            link=admin_link(Delivery, delivery.pk),
            now=now,
        )


def drain(now=None, *, budget: float | None = None, limit: int = 1000) -> int:
    """Send due deliveries one after another until none is due, ``limit`` were processed, or
    ``budget`` seconds passed (so the task ends well inside its time limit). Returns how many
    were processed."""
    budget = settings.DELIVERY_DRAIN_SECONDS if budget is None else budget
    end = time.monotonic() + budget
    done = 0
    while done < limit and time.monotonic() < end and process_one(now):
        done += 1
    return done


def retry(delivery: Delivery, now=None) -> bool:
    """Staff: send a failed or cancelled delivery again, with a fresh round of attempts.
    False if it is not failed or cancelled (already delivered, or still being tried)."""
    now = now or timezone.now()
    again = Delivery.objects.filter(
        pk=delivery.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]
    ).update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, manual_retries=F("manual_retries") + 1)
    if again:
        transaction.on_commit(queue_drain)
    return bool(again)


# Documented in the OpenAPI document (SPECTACULAR_SETTINGS["WEBHOOKS"]) -------------------------

DispatchedData = inline_serializer(
    "PetitionDispatchedData",
    {
        "number": serializers.CharField(help_text="Tracking number of the request."),
        "point": serializers.CharField(help_text="Liaison point where it was filed."),
        "department": serializers.CharField(help_text="Department it was dispatched to."),
        "category": serializers.CharField(),
        "title": serializers.CharField(),
        "content": serializers.CharField(),
        "enterprise_name": serializers.CharField(),
        "contact_name": serializers.CharField(),
        "contact_phone": serializers.CharField(),
        "dispatched_at": serializers.DateTimeField(),
        "reply_due": serializers.DateField(),
        "instructions": serializers.CharField(
            allow_blank=True, help_text="交办意见: what the point asks of the department; may be empty."
        ),
    },
)

petition_dispatched_webhook = OpenApiWebhook(
    name=PETITION_DISPATCHED,
    decorator=extend_schema(
        summary="A request was dispatched to a department on this platform",
        description=(
            "Standard Webhooks v1. Headers: `webhook-id` (the message id, the same on every retry: drop "
            "repeats), `webhook-timestamp` (Unix seconds), `webhook-signature` (`v1,<base64 HMAC-SHA256 of "
            "id.timestamp.body>` per secret in use, space-separated). Any 2xx acknowledges; anything else, "
            "including a redirect, is retried with backoff (honouring `Retry-After`); 410 ends the "
            "subscription. See docs/integration.md."
        ),
        request=inline_serializer(
            "PetitionDispatchedEvent",
            {
                "type": serializers.ChoiceField(choices=[PETITION_DISPATCHED]),
                "timestamp": serializers.DateTimeField(help_text="When the request was dispatched."),
                "data": DispatchedData,
            },
        ),
        responses={
            200: OpenApiResponse(description="Received (any 2xx)."),
            410: OpenApiResponse(description="Gone: stop sending to this address."),
        },
    ),
)
