from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liaison.core"
    label = "core"
    verbose_name = _("Portal settings")

    def ready(self):
        from . import checks, roles  # noqa: F401  (checks registers itself)

        post_migrate.connect(roles.sync_groups_after_migrate, sender=self)
