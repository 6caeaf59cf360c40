from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeputiesConfig(AppConfig):
    name = "deputies"
    verbose_name = _("Deputies and their work")

    def ready(self):
        from points.querysets import register_membership

        from .models import Station

        # People work for the points where they are stationed now.
        register_membership(Station.objects.points_of)
