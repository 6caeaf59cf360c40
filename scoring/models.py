from django.db import models
from django.utils.translation import gettext_lazy as _

from deputies.models import Person
from points.models import LiaisonPoint
from points.querysets import PointScopedQuerySet


class ScoreEventQuerySet(PointScopedQuerySet):
    def visible_to(self, user):
        """Score events of the points ``user`` works for, and their own wherever earned."""
        mine = self.filter(person__user=user) if getattr(user, "is_authenticated", False) else self.none()
        return super().visible_to(user) | mine


class ScoringRule(models.Model):
    """履职积分 rule kept by office staff; ``code`` names the derivation in ``scoring.rules``."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.CharField(_("description"), max_length=200)
    points = models.IntegerField(_("points"), help_text=_("Negative for deductions."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self):
        return self.description


class ScoreEvent(models.Model):
    """Points one person earned (or lost) under one rule for one source record.

    Rows are only inserted by the sync and replaced wholesale by a rebuild; the unique key
    (person, rule, source) makes every replay and retry count once.
    """

    person = models.ForeignKey(Person, models.CASCADE, related_name="score_events", verbose_name=_("person"))
    rule = models.ForeignKey(ScoringRule, models.CASCADE, related_name="events", verbose_name=_("rule"))
    source_type = models.CharField(_("source"), max_length=30)
    source_id = models.PositiveBigIntegerField(_("source id"))
    point = models.ForeignKey(
        LiaisonPoint, models.CASCADE, null=True, related_name="score_events", verbose_name=_("point")
    )
    points = models.IntegerField(_("points"))
    occurred_on = models.DateField(_("date"))
    label = models.CharField(_("what"), max_length=200)

    objects = ScoreEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "rule", "source_type", "source_id"], name="score_once_per_source")
        ]
        indexes = [
            models.Index(fields=["point", "occurred_on"], name="score_point_date"),
            models.Index(fields=["person", "occurred_on"], name="score_person_date"),
        ]
        verbose_name = _("score event")
        verbose_name_plural = _("score events")

    def __str__(self):
        return f"{self.person} {self.points:+d} {self.label}"
