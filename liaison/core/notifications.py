"""Outgoing messages: recorded first (one row per recipient, channel and occasion), sent after.

``notify`` renders the message from its template set in the recipient's language and creates
the row once for its key; sending happens after the surrounding transaction commits, through a
Celery task, and again from the periodic ``deliver_due`` scan for anything still pending (the
broker was down, a channel failed). A missing template raises: nothing is silently skipped.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from .models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=10)  # a send claimed but not finished by then is tried again


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most 2 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def render(template: str, context: dict, language: str | None = None) -> tuple[str, str, str]:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"notifications/{template}/subject.txt", context).strip()
        body = render_to_string(f"notifications/{template}/body.txt", context).strip()
        html = render_to_string(f"notifications/{template}/body.html", context).strip()
    return " ".join(subject.split()), body, html


def notify(*, key: str, template: str, context: dict, channel: str, user=None, address="", link="", now=None):
    """Record one message for one recipient on one channel, once per ``key``. Returns the row
    if it was created now, else None. Safe to call again for the same occasion."""
    if Notification.objects.filter(key=key).exists():
        return None
    # Accounts carry no language preference yet: messages go out in the portal's language.
    subject, body, html = render(template, {**context, "link": link})
    notification, created = Notification.objects.get_or_create(
        key=key,
        defaults={
            "template": template,
            "channel": channel,
            "user": user,
            "address": address,
            "subject": subject[:200],
            "body": body,
            "html": html,
            "link": link,
            "next_attempt_at": now or timezone.now(),
        },
    )
    if not created:
        return None
    transaction.on_commit(lambda: queue(notification.pk))
    return notification


def notify_user(user, *, key: str, template: str, context: dict, link="", now=None) -> list:
    """In the work desk always, and by e-mail where the user has an address."""
    created = [
        notify(key=f"{key}:in_app", template=template, context=context, channel="in_app", user=user, link=link, now=now)
    ]
    if user.email:
        created.append(
            notify(
                key=f"{key}:email",
                template=template,
                context=context,
                channel="email",
                user=user,
                address=user.email,
                link=link,
                now=now,
            )  # fmt: skip
        )
    return [n for n in created if n]


def queue(pk: int) -> None:
    """Hand the send to a worker; if the broker is unreachable, the periodic scan sends it."""
    from .tasks import send_notification

    try:
        send_notification.delay(pk)
    except Exception:  # noqa: BLE001 — the row is pending; deliver_due will pick it up
        log.warning("could not queue notification %s; it stays pending", pk, exc_info=True)


def _send(notification: Notification) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.address],
            html_message=notification.html or None,
        )
    elif notification.channel == Notification.Channel.SMS:
        import_string(settings.SMS_BACKEND)().send(notification.address, f"{notification.subject}：{notification.body}")
    # In-app messages are delivered by existing: the work desk lists them.


def deliver(pk: int, now=None) -> bool:
    """Send one pending message. Claims it with a conditional update, so two workers never
    send the same row; True if this call sent it."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=pk, status__in=[Notification.Status.PENDING, Notification.Status.SENDING], next_attempt_at__lte=now
    ).update(status=Notification.Status.SENDING, next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=pk)
    try:
        _send(notification)
    except Exception as exc:  # noqa: BLE001 — any channel failure is recorded and retried
        failed = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=pk).update(
            status=Notification.Status.FAILED if failed else Notification.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=now + backoff(notification.attempts),
        )
        log.warning("notification %s failed (attempt %s): %s", pk, notification.attempts, exc)
        return False
    Notification.objects.filter(pk=pk).update(status=Notification.Status.SENT, sent_at=now, last_error="")
    return True


def deliver_due(now=None, batch: int = 200) -> int:
    """Send every message whose time has come; returns how many were sent. Re-runnable."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(deliver(pk, now=now) for pk in ids)
