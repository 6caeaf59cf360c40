from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Enterprise requests")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from points.querysets import register_scope

        from .deadlines import rules
        from .models import DeadlineRule, Department

        # Every process's copy of the deadline rules is read again after a change (tablecopy).
        post_save.connect(rules.changed, sender=DeadlineRule, dispatch_uid="deadline-rules-saved")
        post_delete.connect(rules.changed, sender=DeadlineRule, dispatch_uid="deadline-rules-deleted")

        # Office staff may pick the handler accounts of the departments they keep.
        register_scope("users", lambda user: Department.objects.managed_by(user).values("handlers"))
