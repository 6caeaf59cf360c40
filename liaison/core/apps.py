from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liaison.core"
    label = "core"
    verbose_name = _("Portal settings")

    def ready(self):
        from . import roles, workdays

        post_migrate.connect(roles.sync_groups_after_migrate, sender=self)
        post_save.connect(workdays.holidays_changed, sender="core.Holiday", dispatch_uid="holidays-saved")
        post_delete.connect(workdays.holidays_changed, sender="core.Holiday", dispatch_uid="holidays-deleted")
