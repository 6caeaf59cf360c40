import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from deputies.models import Person, ReceptionDay, Suggestion
from liaison.core import roles
from liaison.core.deliveries import DeliveryStatus
from liaison.core.webhooks import new_secret, validate_secret
from points.models import ChainSegment, Enterprise, LiaisonPoint, Organisation

from .querysets import ByPetitionQuerySet, DepartmentQuerySet, PetitionQuerySet


class ExternalPlatform(models.Model):
    """A government platform that receives dispatched requests by signed webhook and moves
    them along by signed callback (the district uses 渝快政).

    Each direction has its own secret (Standard Webhooks, ``whsec_…``), so either can be
    rotated alone; during a rotation the previous secret is still sent (outbound) or accepted
    (inbound) beside the new one. A 410 answer ends the subscription until staff renew it.
    """

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("code"), unique=True, help_text=_("Used in the callback address."))
    webhook_url = models.URLField(_("webhook address"))
    signing_secret = models.CharField(
        _("outbound signing secret"),
        max_length=100,
        default=new_secret,
        validators=[validate_secret],
        help_text=_("Signs what the portal sends to the platform (whsec_…)."),
    )
    previous_signing_secret = models.CharField(
        _("previous signing secret"),
        max_length=100,
        blank=True,
        validators=[validate_secret],
        help_text=_("Also signs outgoing messages while the platform moves to the new secret; clear it afterwards."),
    )
    callback_secret = models.CharField(
        _("callback secret"),
        max_length=100,
        default=new_secret,
        validators=[validate_secret],
        help_text=_("Verifies the platform's callbacks (whsec_…)."),
    )
    previous_callback_secret = models.CharField(
        _("previous callback secret"),
        max_length=100,
        blank=True,
        validators=[validate_secret],
        help_text=_("Still accepted on callbacks while the platform moves to the new secret; clear it afterwards."),
    )
    secret = models.CharField(
        _("legacy shared secret"),
        max_length=128,
        blank=True,
        help_text=_(
            "Deprecated: the old X-Liaison-* signature in both directions, kept for one release. Clear it once "
            "the platform uses the webhook-* headers."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    subscription_ended_at = models.DateTimeField(
        _("subscription ended at"),
        null=True,
        blank=True,
        help_text=_("Set when the platform answered 410 Gone; clear it to send again."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("external platform")
        verbose_name_plural = _("external platforms")

    def __str__(self):
        return self.name

    @property
    def subscribed(self) -> bool:
        return self.active and self.subscription_ended_at is None

    @property
    def signing_secrets(self) -> list[str]:
        return [s for s in (self.signing_secret, self.previous_signing_secret) if s]

    @property
    def callback_secrets(self) -> list[str]:
        return [s for s in (self.callback_secret, self.previous_callback_secret) if s]


class PlatformCallback(models.Model):
    """Callbacks already applied, with the answer given, so a repeated one changes nothing and
    is answered as the first was."""

    platform = models.ForeignKey(ExternalPlatform, models.CASCADE, related_name="callbacks")
    callback_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "callback_id"], name="callback_once")]
        verbose_name = _("platform callback")
        verbose_name_plural = _("platform callbacks")

    def __str__(self):
        return f"{self.platform_id}:{self.callback_id}"


class Department(models.Model):
    """承办单位: a government unit that takes dispatched requests."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    organisation = models.ForeignKey(
        Organisation, models.PROTECT, null=True, blank=True, related_name="departments", verbose_name=_("organisation")
    )
    handlers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="departments", verbose_name=_("handler accounts")
    )
    phone = models.CharField(_("office phone"), max_length=20, blank=True)
    platform = models.ForeignKey(
        ExternalPlatform,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="departments",
        verbose_name=_("external platform"),
        help_text=_("Requests dispatched here are also sent to this platform."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged as duplicate")
    DISPATCHED = "dispatched", _("dispatched")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS)
FINAL_STATUSES = (Status.REJECTED, Status.MERGED, Status.CLOSED)


class Channel(models.TextChoices):
    QR = "qr", _("QR code online")
    RECEPTION = "reception", _("reception day")
    VISIT = "visit", _("grid worker visit")
    PHONE = "phone", _("phone")


class Category(models.TextChoices):
    POLICY = "policy", _("policy and approvals")
    FINANCE = "finance", _("financing")
    LABOUR = "labour", _("labour and talent")
    LAND = "land", _("land and premises")
    TRANSPORT = "transport", _("transport and logistics")
    INFRASTRUCTURE = "infrastructure", _("utilities and infrastructure")
    EDUCATION = "education", _("schooling for employees' children")
    OTHER = "other", _("other")


class Urgency(models.TextChoices):
    """How fast a request must move, set at triage (as 12345 hotlines grade calls)."""

    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    CRITICAL = "critical", _("critical")


# Most urgent first: the desk's lists sort by this, then by the deadline.
URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


class Stage(models.TextChoices):
    """The stages a deadline applies to, each started by a step."""

    ACCEPT = "accept", _("acceptance by the point")
    HANDLE = "handle", _("resolution or dispatch by the point")
    SIGN = "sign", _("signing for by the department")
    REPLY = "reply", _("reply by the department")


class DeadlineRule(models.Model):
    """办理时限: how long a stage may take for requests of a category (or of any category) at
    an urgency, in clock hours or in working days. Shared reference data kept by the reference
    keepers (基础数据管理员); ``petitions.deadlines`` reads it, and a rule for the request's own category wins over one
    for any category."""

    class Unit(models.TextChoices):
        HOURS = "hours", _("hours (around the clock, holidays included)")
        WORKDAYS = "workdays", _("working days")

    category = models.CharField(
        _("category"),
        max_length=15,
        choices=Category.choices,
        blank=True,
        help_text=_("Leave empty for every category without a rule of its own."),
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    amount = models.PositiveSmallIntegerField(
        _("time limit"),
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("A whole number from 1 to 720, in the unit chosen."),
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)

    class Meta:
        ordering = ["category", "urgency", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency", "stage"], name="deadline_rule_once"),
        ]
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")

    def __str__(self):
        category = self.get_category_display() if self.category else _("any category")
        return f"{category} · {self.get_urgency_display()} · {self.get_stage_display()}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASIC = "basic", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("unsatisfied")


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


class Petition(models.Model):
    """诉求: an enterprise's request ("order") and where it stands.

    ``status`` and the dates beside it are written only by ``petitions.services``.
    ``due_at`` is the deadline of the current stage (accept, handle, sign or reply), so that
    "overdue" is one indexed comparison; ``due_date`` is its local date, kept beside it for
    the ledgers, the API and the day-based lists. Both are written by ``petitions.deadlines``
    only, through the services.
    """

    # Unique through Meta.constraints: a field's unique=True would add a second, LIKE-pattern
    # index on PostgreSQL that nothing here uses and every write pays for.
    number = models.CharField(_("tracking number"), max_length=40, editable=False)
    access_token = models.CharField(max_length=40, default=new_access_token, editable=False)
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    point = models.ForeignKey(
        LiaisonPoint, models.PROTECT, related_name="petitions", verbose_name=_("point"), db_index=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.QR)
    enterprise = models.ForeignKey(
        Enterprise, models.SET_NULL, null=True, blank=True, related_name="petitions", verbose_name=_("enterprise")
    )
    enterprise_name = models.CharField(_("enterprise name"), max_length=120)
    contact_name = models.CharField(_("contact person"), max_length=40)
    contact_phone = models.CharField(_("mobile number"), max_length=11)
    category = models.CharField(_("category"), max_length=15, choices=Category.choices)
    title = models.CharField(_("title"), max_length=100)
    content = models.TextField(_("content"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    deputy = models.ForeignKey(
        Person, models.SET_NULL, null=True, blank=True, related_name="petitions", verbose_name=_("handling deputy")
    )
    department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="petitions",
        verbose_name=_("department"),
        db_index=False,
    )
    reception_day = models.ForeignKey(
        ReceptionDay,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="petitions",
        verbose_name=_("taken on reception day"),
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
        db_index=False,
    )
    suggestions = models.ManyToManyField(
        Suggestion, blank=True, related_name="petitions", verbose_name=_("suggestions")
    )
    submitted_at = models.DateTimeField(_("submitted at"), editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, editable=False)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    urgency = models.CharField(
        _("urgency"),
        max_length=10,
        choices=Urgency.choices,
        default=Urgency.NORMAL,
        db_default=Urgency.NORMAL,  # rows inserted in bulk by SQL (the bench) are normal
        editable=False,
    )
    dispatch_instructions = models.TextField(
        _("dispatch instructions"),
        max_length=2000,
        blank=True,
        default="",
        db_default="",  # rows inserted in bulk by SQL (the bench) have none
        editable=False,
        help_text=_("What the point asks of the department; never shown to the enterprise."),
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, editable=False)
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    reply_due_at = models.DateTimeField(_("reply due at"), null=True, blank=True, editable=False)
    reply_due = models.DateField(_("reply due"), null=True, blank=True, editable=False)
    resolution = models.TextField(_("result"), blank=True, editable=False)
    public_summary = models.CharField(
        _("public summary"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("What the point's display screen may show of this request once resolved."),
    )
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True, editable=False
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0, editable=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    OPEN_STATUSES = OPEN_STATUSES

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [models.UniqueConstraint(fields=["number"], name="petition_number_unique")]
        # Every index is written by every insert and by most updates of this, the largest table:
        # only those a page or job reads. The point and department indexes lead with the foreign
        # key, so they serve it too; rarely set keys are indexed only where they are set.
        indexes = [
            # Lists of many points or departments, newest first: walked in order until a page
            # is full instead of sorting every request of a district.
            models.Index(fields=["-submitted_at", "-id"], name="petition_recent"),
            models.Index(fields=["point", "-submitted_at"], name="petition_point_recent"),
            # Open requests of some points by deadline: overdue and due-today lists and counts.
            models.Index(
                fields=["point", "due_at"], condition=models.Q(status__in=OPEN_STATUSES), name="petition_open_point"
            ),
            models.Index(fields=["department", "status"], name="petition_department_status"),
            # The escalation scan: open requests by level and due date, a small part of the table.
            models.Index(
                fields=["escalation_level", "due_at"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="petition_open_escalation",
            ),
            *(
                models.Index(fields=[key], condition=models.Q(**{f"{key}__isnull": False}), name=f"petition_{key}")
                for key in ("merged_into", "reception_day", "created_by")
            ),
        ]
        permissions = [
            ("triage_petition", _("Can triage requests (accept, dispatch, resolve, confirm)")),
            ("handle_petition", _("Can handle requests dispatched to their department")),
            ("view_contact_phone", _("Can see contact phone numbers")),
        ]
        verbose_name = _("request")
        verbose_name_plural = _("requests")

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_tracking_url(self):
        return reverse("petitions:track", args=[self.number, self.access_token])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)


def mask_phone(phone: str) -> str:
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "****"


class PetitionCounter(models.Model):
    """Issues consecutive tracking numbers per point and year (受理编号) under a row lock."""

    point = models.ForeignKey(LiaisonPoint, models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["point", "year"], name="counter_unique")]
        verbose_name = _("tracking number counter")
        verbose_name_plural = _("tracking number counters")

    def __str__(self):
        return f"{self.point_id}/{self.year}: {self.last}"


# Who wrote a note no person wrote: stored as its source text, read in the reader's language.
SYSTEM_LABEL = gettext_noop("system")


def system_note(msgid: str, **params) -> dict:
    """A timeline text the system writes: ``msgid`` (marked with gettext_noop) and its values;
    a value may itself be a note (a sentence chosen by the case), translated with it."""
    return {
        "msgid": msgid,
        "params": {key: value if isinstance(value, dict) else str(value) for key, value in params.items()},
    }


def label_note(label) -> dict:
    """A choice's label (a lazy translation) as a note: its source text, translated when read."""
    with translation.override(None):
        return system_note(str(label))


def render_note(note: dict) -> str:
    """``note`` in the active language."""
    given = note.get("params", {})
    params = {key: render_note(value) if isinstance(value, dict) else value for key, value in given.items()}
    return gettext(note["msgid"]) % params if params else gettext(note["msgid"])


class PetitionEvent(models.Model):
    """One immutable line of a request's timeline: the audit trail, and the source of ledgers
    and scores. Rows are only ever inserted."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("submitted")
        ACCEPT = "accept", _("accepted")
        REJECT = "reject", _("rejected")
        MERGE = "merge", _("merged as duplicate")
        RESOLVE_ON_SITE = "resolve_on_site", _("resolved on site")
        DISPATCH = "dispatch", _("dispatched")
        SIGN = "sign", _("signed for by the department")
        RETURN = "return", _("returned as misrouted")
        REPLY = "reply", _("replied by the department")
        CONFIRM = "confirm", _("confirmed and closed")
        RATE = "rate", _("rated (unsatisfied reopens)")
        ADD_INFO = "add_info", _("information added by the enterprise")
        NOTE = "note", _("internal note")
        ESCALATE = "escalate", _("escalated (督办)")
        PUSH = "push", _("sent to the external platform")
        SET_URGENCY = "set_urgency", _("urgency set")

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="events", db_index=False)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        db_index=False,
    )
    actor_label = models.CharField(_("by"), max_length=60)
    text = models.TextField(_("text"), blank=True)
    # What the system wrote (not a person): its source text and values, translated when read,
    # so that each reader sees it in their own language. ``text`` keeps the writer's rendering.
    note = models.JSONField(_("system note"), default=dict, db_default={}, blank=True, editable=False)
    public = models.BooleanField(_("shown to the enterprise"), default=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    objects = ByPetitionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        # The request's timeline leads with the request, so it serves the foreign key too; most
        # rows have no actor (the enterprise, the system), so only those with one are indexed.
        indexes = [
            models.Index(fields=["petition", "created_at"], name="event_petition_time"),
            models.Index(fields=["actor"], condition=models.Q(actor__isnull=False), name="event_actor"),
            # Statistics count on-site resolutions and ratings of a district's requests: a small
            # index answers them without visiting the timeline rows.
            models.Index(
                fields=["petition", "action", "to_status"],
                condition=models.Q(action__in=["resolve_on_site", "rate"]),
                name="event_outcomes",
            ),
        ]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")

    def __str__(self):
        return f"{self.get_action_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Timeline entries are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Timeline entries are immutable.")

    @property
    def shown_actor(self) -> str:
        """Who took the step; the portal itself named in the reader's language."""
        return gettext(self.actor_label) if self.actor_label == SYSTEM_LABEL else self.actor_label

    @property
    def shown_text(self) -> str:
        """The text in the reader's language: a system note is translated as it is read."""
        return render_note(self.note) if self.note.get("msgid") else self.text


def attachment_path(instance, filename):
    # Random names: the stored name never reveals the uploader's file name.
    return f"petitions/{instance.petition.submitted_at:%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("image")
        PDF = "pdf", _("PDF")

    class Purpose(models.TextChoices):
        """Who wrote it and for whom: the enterprise's own files, seen by the staff handling
        them; 答复函, the answer staff address to the enterprise, seen by both."""

        ENTERPRISE = "enterprise", _("from the enterprise")
        REPLY_LETTER = "reply_letter", _("reply letter")

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    purpose = models.CharField(
        _("purpose"),
        max_length=12,
        choices=Purpose.choices,
        default=Purpose.ENTERPRISE,
        db_default=Purpose.ENTERPRISE,
        editable=False,
    )
    original_name = models.CharField(_("original name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ByPetitionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    @property
    def extension(self) -> str:
        return ".pdf" if self.kind == self.Kind.PDF else ".jpg"


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def is_office_staff(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.groups.filter(name=roles.OFFICE_STAFF).exists())
    )


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Deliveries of the requests ``user`` may see, for office staff (and superusers) only:
        what goes to platforms is the office's business, not the deputies' or handlers'."""
        if not is_office_staff(user):
            return self.none()
        return self.filter(petition__in=Petition.objects.visible_to(user))


class Delivery(models.Model):
    """One outbound message to one platform (a dispatch, or a later event it subscribes to),
    recorded before anything is sent. The drain claims due rows one at a time, so exactly one
    sender works on a row; ``message_id`` is sent as ``webhook-id`` on every attempt, so a
    receiver drops repeats. Success writes the request's "sent" timeline entry, once."""

    Status = DeliveryStatus

    platform = models.ForeignKey(
        ExternalPlatform, models.PROTECT, related_name="deliveries", verbose_name=_("external platform")
    )
    petition = models.ForeignKey(Petition, models.CASCADE, related_name="deliveries", verbose_name=_("request"))
    # What the message is about: the dispatch event, for petition.dispatched.
    event = models.ForeignKey(PetitionEvent, models.CASCADE, related_name="deliveries", null=True, blank=True)
    key = models.CharField(_("key"), max_length=100, editable=False)
    message_id = models.CharField(_("message id"), max_length=40, default=new_message_id, editable=False)
    type = models.CharField(_("event type"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    manual_retries = models.PositiveSmallIntegerField(_("retried by staff"), default=0)
    timeline_entry = models.OneToOneField(
        PetitionEvent, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "key"], name="delivery_once"),
            models.UniqueConstraint(fields=["message_id"], name="delivery_message_id"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        verbose_name = _("delivery to a platform")
        verbose_name_plural = _("deliveries to platforms")

    def __str__(self):
        return f"{self.type} → {self.platform_id} ({self.message_id})"


# The figures a roll-up row holds, in the order the statistics and exports show them.
FIGURES = (
    "received",
    "accepted",
    "dispatched",
    "resolved",
    "resolved_on_site",
    "on_time",
    "signed_on_time",
    "replied_on_time",
    "reopened",
    "satisfied",
    "basic",
    "unsatisfied",
    "open",
    "rejected",
    "workdays",
)


class DailyFigures(models.Model):
    """The figures of the requests submitted at one point on one local day, by category,
    current department and chain segment: a roll-up written only by ``petitions.rollups``.

    Statistics over a city or a province sum these narrow rows instead of scanning requests,
    their timelines and the working-day calendar. A row describes its requests as they stand
    now (a later rating or 重办 rewrites the row of the day they were submitted); ``workdays``
    is the sum of working days from submission to resolution over the resolved ones."""

    point = models.ForeignKey(LiaisonPoint, models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    category = models.CharField(max_length=15, choices=Category.choices)
    department = models.ForeignKey(Department, models.CASCADE, null=True, related_name="+", db_index=False)
    segment = models.ForeignKey(ChainSegment, models.SET_NULL, null=True, related_name="+", db_index=False)
    received = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_on_site = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    signed_on_time = models.PositiveIntegerField(default=0)
    replied_on_time = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basic = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    workdays = models.PositiveIntegerField(default=0)

    class Meta:
        # Every read is "these points, these days": the index holds the whole row, so a city's
        # year is read from a few contiguous index pages (an index-only scan) instead of rows
        # scattered over the table in the order the job wrote them.
        indexes = [
            models.Index(
                fields=["point", "day"],
                include=["category", "department", "segment", *FIGURES],
                name="figures_point_day",
            )
        ]
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")

    def __str__(self):
        return f"{self.point_id} {self.day} {self.category}"


class DailyFiguresMark(models.Model):
    """How far the roll-ups have read the timeline: every request with a timeline entry after
    ``event_id`` may differ from its row, so statistics compute those live."""

    event_id = models.BigIntegerField(default=0)
    run_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("roll-up progress")
        verbose_name_plural = _("roll-up progress")

    def __str__(self):
        return f"{self.event_id} {self.run_at}"
