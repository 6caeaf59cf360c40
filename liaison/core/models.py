from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Holiday(models.Model):
    """A day whose working status office staff set by hand.

    It overrides the built-in statutory calendar, and is the only source beyond the years
    that calendar knows: a rest day (holiday) or a make-up working day (调休上班).
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("is a working day"),
        default=False,
        help_text=_("Tick for a make-up working day; leave clear for a holiday."),
    )
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class Notification(models.Model):
    """One outgoing message to one recipient on one channel.

    The row exists (with its unique ``key``: who, what, for which object, which occasion)
    before anything is sent, so a retry or a re-run scan can never send it twice and a failed
    send is never lost: it stays pending with its error until a later attempt succeeds.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")
        IN_APP = "in_app", _("in the work desk")
        ROBOT = "robot", _("group robot")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will not be retried")

    key = models.CharField(_("key"), max_length=200)  # unique: Meta.constraints
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    address = models.CharField(
        _("address"), max_length=200, blank=True, help_text=_("E-mail address, phone number or group robot.")
    )
    template = models.CharField(_("message"), max_length=60)
    # Rendered when sent, in the portal's language, from the template set and this context
    # (plain values, and models by reference) — so recording a message stays a cheap insert.
    context = models.JSONField(default=dict)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    html = models.TextField(blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"))  # indexed with status, below
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # A constraint rather than unique=True, which would add a LIKE-pattern index on PostgreSQL.
        constraints = [models.UniqueConstraint(fields=["key"], name="notification_key_unique")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.subject
