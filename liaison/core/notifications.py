"""Outgoing messages: recorded first (one row per recipient, channel and occasion), sent after.

``notify`` records one message once for its key and queues it after the surrounding transaction
commits; ``notify_bulk`` records a few known rows with one insert, ``notify_select`` thousands
the database computes with INSERT … SELECT (the escalation scan); both leave them to the periodic
``deliver_due`` scan, which also retries failures and sends whatever was queued while the
broker was down. Messages are rendered when sent, from their template set (subject, text, HTML;
the text parts without HTML escaping; ``sms.txt``, the provider template's parameters, for SMS)
in the portal's language. A missing template raises when the message is recorded: nothing is
silently skipped.

Channels: e-mail (Django's backend), SMS (``sms.py``: a file in development, Alibaba Cloud or
Tencent Cloud), group robots (``robots.py``: DingTalk, WeCom) and in-app (the work desk lists
them). A channel error with ``permanent = True`` fails the message at once; any other is
retried with backoff, up to MAX_ATTEMPTS.
"""

import datetime as dt
import logging
import re

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat, JSONObject
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from . import robots, sms
from .bulk import insert_select
from .jobs import enqueue
from .models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=10)  # a send claimed but not finished by then is tried again
PARTS = ("subject.txt", "body.txt", "body.html")
SMS_PART = "sms.txt"  # the provider template's parameters, for messages sent by SMS


def absolute_url(path: str) -> str:
    """``path`` (``/t/…``) as an address that works where the portal runs: every link sent or
    printed (QR codes, posters, SMS, e-mail, the API's URLs) is built here from PUBLIC_BASE_URL.
    An address that is already absolute is returned as it is."""
    if not path.startswith("/"):
        return path
    return settings.PUBLIC_BASE_URL + path


def admin_link(model, pk=None) -> str:
    """The work desk's page of one row (its change page) or, without ``pk``, of the model's list:
    the path reverse() gives, so a message never carries a hard-coded admin address."""
    opts = model._meta
    if pk is None:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most 2 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def check_template(template: str, channels=()) -> None:
    """Raise TemplateDoesNotExist unless the message's whole template set exists (with the SMS
    parameters when it goes by SMS), TemplateSyntaxError if a part is malformed."""
    for part in PARTS:
        get_template(f"notifications/{template}/{part}")
    if Notification.Channel.SMS in channels:
        _sms_param_templates(template)


_checked: set[tuple[str, tuple]] = set()


def check_template_once(template: str, channels=()) -> None:
    """``check_template``, remembered per process once it passed: templates do not change while
    a process runs (the cached loader keeps them), so a path taken on every request checks once."""
    known = (template, tuple(sorted(channels)))
    if known not in _checked:
        check_template(template, channels)
        _checked.add(known)


_PARAM_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)=(.*)$")


def _sms_param_templates(template: str) -> list[tuple[str, Template]]:
    """``sms.txt``: one ``name=value`` line per parameter of the provider's template, in its
    order; ``{% load %}`` lines apply to every value; blank and ``{# … #}`` lines are skipped."""
    base = get_template(f"notifications/{template}/{SMS_PART}").template
    lines = [line.strip() for line in base.source.splitlines()]
    loads = "".join(line for line in lines if line.startswith("{% load "))
    params = []
    for line in lines:
        if not line or line.startswith(("{% load ", "{#")):
            continue
        match = _PARAM_LINE.match(line)
        if not match:
            raise TemplateSyntaxError(f"notifications/{template}/{SMS_PART}: not a name=value line: {line!r}")
        params.append((match.group(1), base.engine.from_string(loads + match.group(2))))
    return params


def sms_params(template: str, context: dict) -> dict[str, str]:
    """The provider template's parameters for one message. Each value is rendered on its own and
    flattened to one line, so a newline or ``name=`` typed into a request adds no parameter."""
    plain = Context(context, autoescape=False)
    with translation.override(settings.LANGUAGE_CODE):
        return {name: " ".join(value.render(plain).split()) for name, value in _sms_param_templates(template)}


def freeze(context: dict) -> dict:
    """Context for storage: model instances become references, the rest must be JSON."""
    return {
        key: {"__model__": value._meta.label_lower, "pk": value.pk} if isinstance(value, models.Model) else value
        for key, value in context.items()
    }


def ref(model, pk) -> dict:
    """A stored reference to a row, for contexts built without loading it."""
    return {"__model__": model._meta.label_lower, "pk": pk}


def ref_in_sql(model, pk="id"):
    """``ref`` as an expression over a queryset's rows, for ``notify_select`` contexts."""
    return JSONObject(**{"__model__": Value(model._meta.label_lower), "pk": F(pk)})


def admin_link_in_sql(model, pk="id"):
    """``admin_link`` as an expression over a queryset's rows, for ``notify_select`` links."""
    before, after = admin_link(model, 0).rsplit("/0/", 1)
    return Concat(Value(f"{before}/"), F(pk), Value(f"/{after}"), output_field=CharField())


def thaw(context: dict) -> dict:
    out = {}
    for key, value in context.items():
        if isinstance(value, dict) and "__model__" in value:
            model = apps.get_model(value["__model__"])
            value = model._default_manager.filter(pk=value["pk"]).first()
        out[key] = value
    return out


def render_part(name: str, context: dict) -> str:
    """Render one part of a message. Plain-text parts (``.txt``: subject, text, SMS) are not
    HTML: rendered with autoescape off, so a title with ``<``, ``"`` or ``&`` reads as typed
    instead of ``&lt;``; the HTML part stays escaped."""
    template = get_template(name)
    if name.endswith(".txt"):
        return template.template.render(Context(context, autoescape=False))
    return template.render(context)


def message_context(notification: Notification) -> dict:
    return {**thaw(notification.context), "link": notification.link}


def render(notification: Notification, context: dict | None = None) -> tuple[str, str, str]:
    context = message_context(notification) if context is None else context
    with translation.override(settings.LANGUAGE_CODE):
        subject, body, html = (
            render_part(f"notifications/{notification.template}/{part}", context).strip() for part in PARTS
        )
    return " ".join(subject.split())[:200], body, html


def _row(*, key, template, context, channel, user=None, user_id=None, address="", link="", now=None):
    return Notification(
        key=key,
        template=template,
        context=freeze(context),
        channel=channel,
        user=user,
        user_id=user_id if user is None else user.pk,
        address=address,
        link=link,
        next_attempt_at=now or timezone.now(),
    )


def notify(*, key: str, template: str, context: dict, channel: str, user=None, address="", link="", now=None):
    """Record one message for one recipient on one channel, once per ``key``, and queue it
    after commit. Returns the row if it was created now, else None. Safe to call again."""
    check_template(template, [channel])
    row = _row(
        key=key, template=template, context=context, channel=channel, user=user, address=address, link=link, now=now
    )
    fields = {f.attname: getattr(row, f.attname) for f in Notification._meta.concrete_fields if f.attname != "id"}
    notification, created = Notification.objects.get_or_create(key=key, defaults=fields)
    if not created:
        return None
    transaction.on_commit(lambda: queue(notification.pk))
    return notification


def user_channels(email: str) -> list[tuple[str, str]]:
    """(channel, address) for a user: in the work desk always, by e-mail where there is one.
    ``notify_select`` follows the same rule in SQL."""
    return [("in_app", ""), *([("email", email)] if email else [])]


def notify_user(user, *, key: str, template: str, context: dict, link="", now=None) -> list:
    created = [
        notify(
            key=f"{key}:{channel}",
            template=template,
            context=context,
            channel=channel,
            user=user,
            address=address,
            link=link,
            now=now,
        )
        for channel, address in user_channels(user.email)
    ]
    return [n for n in created if n]


def notify_select(rows, *, user: str, key, context, link, template: str, now=None) -> int:
    """Record a message for every row of the queryset ``rows`` to the user reached through the
    relation path ``user``, on each of that user's channels (as ``user_channels``), with one
    INSERT … SELECT per channel; the periodic scan sends them. ``key``, ``context`` and ``link``
    are expressions over the rows; the key gets ``:<user id>:<channel>`` appended, and keys
    recorded before are skipped. Returns how many messages were recorded.

    ``user`` may cross a many-valued relation (``point__stations__person__user``): it is read
    through the joins ``rows`` already filtered on, never through new ones.
    """
    check_template(template)
    rows = rows.alias(_user_active=F(f"{user}__is_active"), _user_email=F(f"{user}__email")).filter(_user_active=True)
    channels = [
        (Notification.Channel.IN_APP, rows, Value("")),
        (Notification.Channel.EMAIL, rows.exclude(_user_email=""), F("_user_email")),
    ]
    return sum(
        insert_select(
            Notification,
            channel_rows,
            ignore_conflicts=True,
            key=Concat(key, Value(":"), F(user), Value(f":{channel}"), output_field=CharField()),
            channel=channel,
            user_id=F(user),
            address=address,
            template=template,
            context=context,
            link=link,
            next_attempt_at=now or timezone.now(),
        )
        for channel, channel_rows, address in channels
    )


def notify_bulk(items: list[dict], *, template: str, now=None) -> int:
    """Record many messages with one insert (existing keys are skipped); the periodic scan
    sends them. Each item has key, context, channel, user_id, address and link."""
    check_template(template, {item["channel"] for item in items})
    rows = [_row(template=template, now=now, **item) for item in items]
    created = Notification.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(created)


def queue(pk: int) -> None:
    """Hand the send to a worker; if the broker is unreachable, the periodic scan sends it."""
    enqueue("liaison.core.tasks.send_notification", pk)


def _send(notification: Notification, context: dict) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.address],
            html_message=notification.html or None,
        )
    elif notification.channel == Notification.Channel.SMS:
        sms.send(
            sms.SmsMessage(
                phone=notification.address,
                text=f"{notification.subject}：{notification.body}",
                template=notification.template,
                params=sms_params(notification.template, context),
                reference=str(notification.pk),
            )
        )
    elif notification.channel == Notification.Channel.ROBOT:
        # The robot is read when sending: a corrected address or secret applies to retries.
        robot = context.get("robot")
        if robot is None or not robot.active:
            raise robots.RobotError("the group robot was deleted or switched off", permanent=True)
        robots.send(
            kind=robot.kind,
            url=robot.webhook_url,
            secret=robot.secret,
            title=notification.subject,
            text=notification.body,
            link=absolute_url(notification.link),
            markdown=robot.markdown,
        )
    # In-app messages are delivered by being rendered: the work desk lists them.


def deliver(pk: int, now=None) -> bool:
    """Render and send one pending message. Claims it with a conditional update, so two workers
    never send the same row; True if this call sent it."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=pk, status__in=[Notification.Status.PENDING, Notification.Status.SENDING], next_attempt_at__lte=now
    ).update(status=Notification.Status.SENDING, next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=pk)
    try:
        context = message_context(notification)
        notification.subject, notification.body, notification.html = render(notification, context)
        _send(notification, context)
    except Exception as exc:  # noqa: BLE001 — any channel failure is recorded and retried
        # A channel marks an error ``permanent`` when no retry can help (a bad number, a
        # template the provider refused): failed now rather than after MAX_ATTEMPTS.
        failed = getattr(exc, "permanent", False) is True or notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=pk).update(
            status=Notification.Status.FAILED if failed else Notification.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=now + backoff(notification.attempts),
        )
        log.warning("notification %s failed (attempt %s): %s", pk, notification.attempts, exc)
        return False
    Notification.objects.filter(pk=pk).update(
        status=Notification.Status.SENT,
        sent_at=now,
        last_error="",
        subject=notification.subject,
        body=notification.body,
        html=notification.html,
    )
    return True


def deliver_due(now=None, batch: int = 500) -> int:
    """Send every message whose time has come, batch after batch; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    while True:
        ids = list(
            Notification.objects.filter(
                status__in=[Notification.Status.PENDING, Notification.Status.SENDING], next_attempt_at__lte=now
            )
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return sent
        results = [deliver(pk, now=now) for pk in ids]
        sent += sum(results)
        if not any(results):  # all failed or claimed elsewhere: try again on the next run
            return sent
