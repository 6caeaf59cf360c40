from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liaison.core"
    label = "core"
    verbose_name = _("Portal settings")

    def ready(self):
        from . import checks, roles, workdays  # noqa: F401  (checks registers itself)

        post_migrate.connect(roles.sync_groups_after_migrate, sender=self)
        post_save.connect(workdays.holidays_changed, sender="core.Holiday", dispatch_uid="holidays-saved")
        post_delete.connect(workdays.holidays_changed, sender="core.Holiday", dispatch_uid="holidays-deleted")


EMPTY_CHOICE = _("Please choose")


def use_chinese_empty_choice():
    """Every empty choice of a select (forms, the admin's fields and its action menu) says
    请选择, not Django's "---------" — one setting for all of them, since Django takes the dash
    from these two defaults wherever a form does not name its own."""
    from django.db.models import fields
    from django.forms import models as form_models

    fields.BLANK_CHOICE_DASH[:] = [("", EMPTY_CHOICE)]
    form_models.ModelChoiceField.__init__.__kwdefaults__["empty_label"] = EMPTY_CHOICE


# Set as the app registry loads this module, before the admin's autodiscovery (in the admin's
# ready()) builds forms whose fields keep the default they were created with.
use_chinese_empty_choice()
