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
