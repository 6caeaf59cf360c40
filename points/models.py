import secrets

from django.conf import settings
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from liaison.core.notifications import absolute_url

from .querysets import EnterpriseQuerySet, EnterpriseRelationQuerySet, LiaisonPointQuerySet, OrganisationQuerySet
from .validators import validate_uscc


def new_qr_token() -> str:
    return secrets.token_urlsafe(9)


class Organisation(models.Model):
    """A street working committee (街道工委) or the district office (区人大办公室) above it.

    Office staff see every point of their organisation and of the organisations below it.
    """

    class Kind(models.TextChoices):
        PROVINCE = "province", _("provincial People's Congress office")
        CITY = "city", _("city People's Congress office")
        DISTRICT = "district", _("district People's Congress office")
        STREET = "street", _("street working committee")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organisations", verbose_name=_("office staff")
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name


class IndustryChain(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(
        _("public code"),
        max_length=30,
        unique=True,
        help_text=_("Short code in the chain's public address, e.g. nev for /chains/nev/."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("industry chain")
        verbose_name_plural = _("industry chains")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("points:chain", args=[self.code])


class ChainSegment(models.Model):
    chain = models.ForeignKey(IndustryChain, models.CASCADE, related_name="segments", verbose_name=_("chain"))
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["chain", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["chain", "name"], name="segment_unique_per_chain")]
        verbose_name = _("chain segment")
        verbose_name_plural = _("chain segments")

    def __str__(self):
        return self.name


class Enterprise(models.Model):
    class ChainRole(models.TextChoices):
        LEADER = "leader", _("chain leader")
        SUB_LEADER = "sub_leader", _("segment chain leader")
        BACKBONE = "backbone", _("backbone enterprise")
        SUPPLIER = "supplier", _("supporting supplier")
        TECH_SME = "tech_sme", _("technology SME")

    name = models.CharField(_("name"), max_length=120, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    chain = models.ForeignKey(
        IndustryChain, models.PROTECT, related_name="enterprises", verbose_name=_("industry chain")
    )
    segment = models.ForeignKey(
        ChainSegment, models.SET_NULL, null=True, blank=True, related_name="enterprises", verbose_name=_("segment")
    )
    chain_role = models.CharField(_("role in the chain"), max_length=10, choices=ChainRole.choices)
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("registered by"),
        help_text=_("The office that keeps this enterprise's record."),
    )

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self):
        return self.name

    def clean(self):
        self.credit_code = (self.credit_code or "").strip().upper()


class EnterpriseRelation(models.Model):
    """An enterprise leading others on the chain: a chain leader (链主) and the suppliers it
    buys from (配套), or a segment's chain leader (小链长) and the partners it coordinates (协作).
    Visible to whoever may see either enterprise."""

    class Kind(models.TextChoices):
        SUPPLY = "supply", _("chain leader → supporting supplier")
        PARTNER = "partner", _("segment chain leader → collaborating partner")

    source = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="relations_out", verbose_name=_("leading enterprise")
    )
    target = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="relations_in", verbose_name=_("led enterprise")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    objects = EnterpriseRelationQuerySet.as_manager()

    class Meta:
        ordering = ["source", "kind", "target"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target"],
                name="enterprise_relation_once",
                violation_error_message=_("These two enterprises are already related."),
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="enterprise_relation_not_self",
                violation_error_message=_("An enterprise cannot lead itself."),
            ),
        ]
        verbose_name = _("enterprise relation")
        verbose_name_plural = _("enterprise relations")

    def __str__(self):
        return f"{self.source} → {self.target}"


class LiaisonPoint(models.Model):
    class ReceptionRule(models.TextChoices):
        KEEP = "keep", _("keep the date even on a rest day")
        NEXT_WORKDAY = "next_workday", _("move to the next working day")

    organisation = models.ForeignKey(
        Organisation, models.PROTECT, related_name="points", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(
        _("public code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9-]{2,20}$", _("Use 2–20 lower-case letters, digits or hyphens."))],
        help_text=_("Short code in the point's public address, e.g. byd-bishan."),
    )
    host_enterprise = models.ForeignKey(
        Enterprise,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_points",
        verbose_name=_("host enterprise"),
    )
    chain = models.ForeignKey(IndustryChain, models.PROTECT, related_name="points", verbose_name=_("industry chain"))
    address = models.CharField(_("address"), max_length=200)
    opened_on = models.DateField(_("opened on"))
    active = models.BooleanField(_("active"), default=True)
    rules = models.TextField(_("rules"), blank=True)
    reception_process = models.TextField(_("reception process"), blank=True)
    reception_day = models.PositiveSmallIntegerField(
        _("reception day of the month"), default=15, help_text=_("Day of the month of the reception day.")
    )
    reception_rule = models.CharField(
        _("when the reception day is a rest day"),
        max_length=15,
        choices=ReceptionRule.choices,
        default=ReceptionRule.NEXT_WORKDAY,
    )
    # Construction standard of the district: each item is shown as met or not.
    has_office_equipment = models.BooleanField(_("office equipment"), default=False)
    has_display_screen = models.BooleanField(_("digital display screen"), default=False)
    rules_posted = models.BooleanField(_("rules posted on the wall"), default=False)
    ledger_kept = models.BooleanField(_("ledger kept"), default=False)
    has_seat_signs = models.BooleanField(_("reception seat signs"), default=False)
    has_signboard = models.BooleanField(_("outdoor signboard"), default=False)
    qr_token = models.CharField(_("QR token"), max_length=20, unique=True, default=new_qr_token, editable=False)
    qr_rotated_at = models.DateTimeField(_("QR code last replaced"), null=True, blank=True, editable=False)

    objects = LiaisonPointQuerySet.as_manager()

    CHECKLIST = (
        "has_office_equipment",
        "has_display_screen",
        "rules_posted",
        "ledger_kept",
        "has_seat_signs",
        "has_signboard",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("liaison point")
        verbose_name_plural = _("liaison points")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("points:detail", args=[self.code])

    @property
    def submit_path(self) -> str:
        return reverse("petitions:submit", args=[self.qr_token])

    @property
    def qr_url(self) -> str:
        return absolute_url(self.submit_path)

    def checklist(self) -> list[tuple[str, bool]]:
        return [(self._meta.get_field(f).verbose_name, getattr(self, f)) for f in self.CHECKLIST]

    @property
    def compliance(self) -> str:
        met = sum(getattr(self, f) for f in self.CHECKLIST)
        return f"{met}/{len(self.CHECKLIST)}"


class RetiredQrToken(models.Model):
    """A QR token replaced by rotation: its old posters lead to a "this code was replaced" page."""

    point = models.ForeignKey(LiaisonPoint, models.CASCADE, related_name="retired_tokens")
    token = models.CharField(max_length=20, unique=True)
    retired_at = models.DateTimeField()

    class Meta:
        verbose_name = _("replaced QR code")
        verbose_name_plural = _("replaced QR codes")

    def __str__(self):
        return self.token


class GroupRobotQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Robots of the points ``user`` works for and of the organisations they run (with those
        below them)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            models.Q(point__in=LiaisonPoint.objects.visible_to(user).values("id"))
            | models.Q(organisation__in=Organisation.objects.run_by(user).values("id"))
        )

    def for_event(self, point, event: str):
        """Active robots that take ``event``, of ``point`` and of its organisation and those above
        (the organisation's three levels up read in the same query, as subqueries)."""
        field = GroupRobot.EVENT_FIELDS[event]
        own = Organisation.objects.filter(pk=point.organisation_id)
        return self.filter(active=True, **{field: True}).filter(
            models.Q(point=point.pk)
            | models.Q(organisation=point.organisation_id)
            | models.Q(organisation__in=own.values("parent_id"))
            | models.Q(organisation__in=own.values("parent__parent_id"))
            | models.Q(organisation__in=own.values("parent__parent__parent_id"))
        )


class GroupRobot(models.Model):
    """A staff group chat's robot — a DingTalk (钉钉 / 政务钉钉) custom robot or a WeCom (企业微信)
    group robot — of one point or one organisation. It gets a message for each event it takes at
    its point, or at any point of its organisation and the organisations below
    (``points.robots.notify_robots``); ``liaison.core.robots`` does the signing and posting."""

    class Kind(models.TextChoices):
        DINGTALK = "dingtalk", _("DingTalk custom robot")
        WECOM = "wecom", _("WeCom group robot")

    class Event(models.TextChoices):
        NEW_REQUEST = "new_request", _("new requests")
        ESCALATION = "escalation", _("escalations")
        RECEPTION_REMINDER = "reception_reminder", _("reception-day reminders")

    EVENT_FIELDS = {
        Event.NEW_REQUEST: "on_new_request",
        Event.ESCALATION: "on_escalation",
        Event.RECEPTION_REMINDER: "on_reception_reminder",
    }

    name = models.CharField(_("name"), max_length=60, help_text=_("The group chat, e.g. 璧山区人大代表工作群."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    webhook_url = models.URLField(
        _("webhook address"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_(
            "As the group's robot settings show it: DingTalk …/robot/send?access_token=…, "
            "WeCom …/cgi-bin/webhook/send?key=…"
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk robots with signing (加签): the secret, starting with SEC. WeCom: leave empty."),
    )
    organisation = models.ForeignKey(
        Organisation,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="robots",
        verbose_name=_("organisation"),
    )
    point = models.ForeignKey(
        LiaisonPoint, models.CASCADE, null=True, blank=True, related_name="robots", verbose_name=_("liaison point")
    )
    on_new_request = models.BooleanField(_("new requests"), default=True)
    on_escalation = models.BooleanField(_("escalations"), default=True)
    on_reception_reminder = models.BooleanField(_("reception-day reminders"), default=False)
    markdown = models.BooleanField(_("send as markdown"), default=False)
    active = models.BooleanField(_("active"), default=True)

    objects = GroupRobotQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False, point__isnull=True)
                | models.Q(organisation__isnull=True, point__isnull=False),
                name="grouprobot_one_owner",
                violation_error_message=_("Choose either an organisation or a liaison point, not both."),
            )
        ]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self):
        return self.name
