"""Dispatch to external platforms: the outbound push and the inbound callback.

A dispatch to a department on a platform is pushed by a Celery task with retries; a periodic
scan re-queues any dispatch whose push is not on the timeline yet (the broker was down, the
retries ran out), so none is lost. The payload's ``event_id`` lets the platform drop repeats.
"""

import datetime as dt
import logging

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.core.jobs import enqueue
from liaison.core.webhooks import post_signed

from .models import PetitionEvent

log = logging.getLogger(__name__)
RESCAN_DAYS = 30


def dispatch_payload(event: PetitionEvent) -> dict:
    petition = event.petition
    return {
        "event_id": event.pk,
        "number": petition.number,
        "point": petition.point.name,
        "department": petition.department.name,
        "category": petition.category,
        "title": petition.title,
        "content": petition.content,
        "enterprise_name": petition.enterprise_name,
        "contact_name": petition.contact_name,
        "contact_phone": petition.contact_phone,
        "dispatched_at": petition.dispatched_at,
        "reply_due": petition.reply_due,
    }


def push_dispatch(event_id: int, now=None) -> bool:
    """Send one dispatch to its platform and record it on the timeline; raises WebhookError if
    the platform did not take it. False if there is nothing (more) to send."""
    event = PetitionEvent.objects.select_related("petition__department__platform", "petition__point").get(pk=event_id)
    petition = event.petition
    platform = petition.department.platform if petition.department else None
    if platform is None or not platform.active or petition.status not in ("dispatched", "in_progress"):
        return False
    marker = f"#{event.pk}"
    if PetitionEvent.objects.filter(
        petition=petition, action=PetitionEvent.Action.PUSH, text__endswith=marker
    ).exists():
        return False
    post_signed(platform.webhook_url, platform.secret, dispatch_payload(event))
    PetitionEvent.objects.create(
        petition=petition,
        action=PetitionEvent.Action.PUSH,
        from_status=petition.status,
        to_status=petition.status,
        actor_label=platform.name[:60],
        text=_("Sent to %(platform)s for dispatch %(marker)s") % {"platform": platform.name, "marker": marker},
        public=False,
        created_at=now or timezone.now(),
    )
    return True


def queue_push(event_id: int) -> None:
    """Hand the push to a worker; if the broker is unreachable, the rescan queues it again."""
    enqueue("petitions.tasks.push_to_platform", event_id)


def unpushed_dispatches(now=None):
    """Dispatch events of the last weeks, to a platform department, still open, not pushed."""
    now = now or timezone.now()
    pushed = PetitionEvent.objects.filter(
        petition=OuterRef("petition"), action=PetitionEvent.Action.PUSH, created_at__gte=OuterRef("created_at")
    )
    return (
        PetitionEvent.objects.filter(
            action=PetitionEvent.Action.DISPATCH,
            created_at__gte=now - dt.timedelta(days=RESCAN_DAYS),
            petition__status__in=["dispatched", "in_progress"],
            petition__department__platform__active=True,
        )
        .annotate(pushed=Exists(pushed))
        .filter(pushed=False)
        .values_list("pk", flat=True)
    )
