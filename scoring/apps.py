from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Performance points")

    def ready(self):
        from .rules import seed_rules_after_migrate

        post_migrate.connect(seed_rules_after_migrate, sender=self)
