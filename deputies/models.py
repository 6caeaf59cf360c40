from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from points.models import Enterprise, LiaisonPoint, Organisation
from points.querysets import PointScopedQuerySet

from .querysets import (
    DutyQuerySet,
    EnterpriseLinkQuerySet,
    PersonQuerySet,
    PhotoQuerySet,
    StationQuerySet,
    VisitQuerySet,
)


class Person(models.Model):
    """Someone who serves at a point: a deputy, a consultative deputy or a grid worker."""

    class Kind(models.TextChoices):
        DEPUTY = "deputy", _("People's Congress deputy")
        CONSULTATIVE = "consultative", _("consultative deputy")
        GRID_WORKER = "grid_worker", _("enterprise grid worker")

    class Level(models.TextChoices):
        NONE = "", _("—")
        PROVINCE = "province", _("provincial")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        TOWN = "town", _("town")

    name = models.CharField(_("full name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    level = models.CharField(_("deputy level"), max_length=10, choices=Level.choices, blank=True)
    employer = models.CharField(_("employer"), max_length=120, blank=True)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_public = models.BooleanField(
        _("show phone on public pages"), default=False, help_text=_("Only with the person's consent.")
    )
    photo = models.ImageField(_("photo"), upload_to="people/", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login account"),
    )
    active = models.BooleanField(_("active"), default=True)
    organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("kept by"),
        help_text=_("The office that keeps this person's record."),
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.name

    @property
    def role_label(self) -> str:
        if self.kind == self.Kind.DEPUTY and self.level:
            return f"{self.get_level_display()}{self.get_kind_display()}"
        return self.get_kind_display()


class Station(models.Model):
    """Who is stationed at which point, and as what, over a span of dates."""

    class Role(models.TextChoices):
        HEAD = "head", _("point head")
        MEMBER = "member", _("member")

    person = models.ForeignKey(Person, models.CASCADE, related_name="stations", verbose_name=_("person"))
    point = models.ForeignKey(LiaisonPoint, models.CASCADE, related_name="stations", verbose_name=_("point"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)

    objects = StationQuerySet.as_manager()

    class Meta:
        ordering = ["point", "role", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["person", "point", "since"], name="station_unique_start"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")), name="station_until_after_since"
            ),
        ]
        verbose_name = _("station")
        verbose_name_plural = _("stations")

    def __str__(self):
        return f"{self.person} @ {self.point}"

    @property
    def is_head(self) -> bool:
        return self.role == self.Role.HEAD


class EnterpriseLink(models.Model):
    """包挂: a person looks after an enterprise."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="enterprise_links", verbose_name=_("person"))
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="person_links", verbose_name=_("enterprise")
    )

    objects = EnterpriseLinkQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "enterprise"], name="link_unique")]
        verbose_name = _("enterprise link")
        verbose_name_plural = _("enterprise links")

    def __str__(self):
        return f"{self.person} — {self.enterprise}"


class Activity(models.Model):
    """An activity or collective inspection (集中视察): planned, then held (who attended, which
    enterprises were visited, what was found, photos) or cancelled with a reason. Its state
    changes only through the steps in ``deputies.services.activities``."""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", _("collective inspection")
        RESEARCH = "research", _("research")
        COORDINATION = "coordination", _("coordination")
        PUBLICITY = "publicity", _("publicity")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        CANCELLED = "cancelled", _("cancelled")

    point = models.ForeignKey(LiaisonPoint, models.PROTECT, related_name="activities", verbose_name=_("point"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    participants = models.ManyToManyField(
        Person, blank=True, related_name="activities", verbose_name=_("invited participants")
    )
    attendees = models.ManyToManyField(
        Person, blank=True, related_name="activities_attended", verbose_name=_("participants who attended")
    )
    enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="activities", verbose_name=_("enterprises visited")
    )
    summary = models.TextField(_("plan"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    objects = PointScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self):
        return self.title


class Photo(models.Model):
    """A photo of a held activity or reception day, re-encoded without its metadata."""

    activity = models.ForeignKey(
        Activity, models.CASCADE, null=True, blank=True, related_name="photos", verbose_name=_("activity")
    )
    reception_day = models.ForeignKey(
        "ReceptionDay", models.CASCADE, null=True, blank=True, related_name="photos", verbose_name=_("reception day")
    )
    image = models.ImageField(_("photo"), upload_to="activity-photos/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    taken_on = models.DateField(_("date"))

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["taken_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(activity__isnull=False, reception_day__isnull=True)
                | Q(activity__isnull=True, reception_day__isnull=False),
                name="photo_of_one_thing",
            )
        ]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.caption or self.image.name


class Suggestion(models.Model):
    """建议: a formal suggestion deputies draft, submit to a government unit, and see answered
    and rated. Its state changes only through the steps in ``deputies.services.suggestions``."""

    class Status(models.TextChoices):
        DRAFTED = "drafted", _("drafted")
        SUBMITTED = "filed", _("submitted")
        ASSIGNED = "assigned", _("assigned")
        ANSWERED = "answered", _("answered")
        RATED = "rated", _("rated")
        CLOSED = "closed", _("closed")

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("satisfied")
        BASICALLY = "basically", _("basically satisfied")
        UNSATISFIED = "unsatisfied", _("unsatisfied")

    point = models.ForeignKey(LiaisonPoint, models.PROTECT, related_name="suggestions", verbose_name=_("point"))
    title = models.CharField(_("title"), max_length=200)
    authors = models.ManyToManyField(Person, related_name="suggestions", verbose_name=_("authors"))
    content = models.TextField(_("content"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFTED)
    addressed_unit = models.CharField(_("submitted to"), max_length=120, blank=True)
    filed_on = models.DateField(_("submitted on"), null=True, blank=True)
    handling_unit = models.CharField(_("handling department"), max_length=120, blank=True)
    assigned_on = models.DateField(_("assigned on"), null=True, blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    response = models.TextField(_("answer"), blank=True)
    answer_letter = models.FileField(_("answer letter"), upload_to="suggestions/", blank=True)
    rating = models.CharField(_("authors' rating"), max_length=12, choices=Rating.choices, blank=True)
    rated_on = models.DateField(_("rated on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = PointScopedQuerySet.as_manager()

    class Meta:
        ordering = [models.F("filed_on").desc(nulls_first=True), "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["point", "title"], name="suggestion_unique_title"),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=models.F("filed_on")),
                name="suggestion_answered_after_submitted",
            ),
        ]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")

    def __str__(self):
        return self.title


class ReceptionDay(models.Model):
    """A point's monthly reception day (集中接待日), generated ahead by its rule, with the
    duty roster, attendance and the record filled in afterwards."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("scheduled")
        HELD = "held", _("held")
        CANCELLED = "cancelled", _("cancelled")
        MISSED = "missed", _("missed")

    point = models.ForeignKey(LiaisonPoint, models.CASCADE, related_name="reception_days", verbose_name=_("point"))
    month = models.DateField(_("month"), help_text=_("First day of the month this reception day belongs to."))
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    roster = models.ManyToManyField(
        Person, through="DutyAssignment", related_name="reception_days", verbose_name=_("duty roster")
    )
    visitors = models.TextField(_("who came"), blank=True)
    summary = models.TextField(_("what was raised"), blank=True)
    enterprises = models.ManyToManyField(
        Enterprise, blank=True, related_name="reception_days", verbose_name=_("enterprises received")
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    record_filled_at = models.DateTimeField(_("record filled in at"), null=True, blank=True, editable=False)

    objects = PointScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["point", "month"], name="reception_day_once_a_month")]
        indexes = [models.Index(fields=["date"], name="reception_day_date")]
        verbose_name = _("reception day")
        verbose_name_plural = _("reception days")

    def __str__(self):
        return f"{self.point} {self.date:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if (self.summary or self.visitors) and not self.record_filled_at:
            self.record_filled_at = timezone.now()
        super().save(*args, **kwargs)


class DutyAssignment(models.Model):
    """One person on a reception day's roster, and whether they came (签到)."""

    reception_day = models.ForeignKey(ReceptionDay, models.CASCADE, related_name="assignments")
    person = models.ForeignKey(Person, models.CASCADE, related_name="duty_assignments", verbose_name=_("person"))
    attended = models.BooleanField(
        _("attended"), null=True, blank=True, help_text=_("Empty until signed in or marked absent.")
    )
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)

    objects = DutyQuerySet.as_manager()

    class Meta:
        ordering = ["reception_day", "person__name"]
        constraints = [models.UniqueConstraint(fields=["reception_day", "person"], name="duty_once_per_day")]
        verbose_name = _("duty")
        verbose_name_plural = _("duty roster")

    def __str__(self):
        return f"{self.person} @ {self.reception_day}"


class Visit(models.Model):
    """走访记录: a person went to an enterprise they look after (包挂) and noted what was raised.
    Requests entered from the visit point back to it (``petitions`` links them)."""

    person = models.ForeignKey(Person, models.PROTECT, related_name="visits", verbose_name=_("person"))
    enterprise = models.ForeignKey(Enterprise, models.PROTECT, related_name="visits", verbose_name=_("enterprise"))
    point = models.ForeignKey(LiaisonPoint, models.PROTECT, related_name="visits", verbose_name=_("point"))
    date = models.DateField(_("date"))
    raised = models.TextField(_("what was raised"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["point", "date"], name="visit_point_date")]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.person} → {self.enterprise}"
