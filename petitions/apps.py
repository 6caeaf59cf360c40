from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Enterprise requests")

    def ready(self):
        from points.querysets import register_scope

        from .models import Department

        # Office staff may pick the handler accounts of the departments they keep.
        register_scope("users", lambda user: Department.objects.managed_by(user).values("handlers"))
