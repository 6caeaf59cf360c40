from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeputiesConfig(AppConfig):
    name = "deputies"
    verbose_name = _("Deputies and their work")

    def ready(self):
        from points.querysets import register_scope

        from .models import EnterpriseLink, Person, Station

        # People work for the points where they are stationed now, and see the enterprises
        # the people of those points look after.
        register_scope("points", Station.objects.points_of)
        register_scope("enterprises", EnterpriseLink.objects.enterprises_of)
        # Office staff may pick the login accounts of the people they may see.
        register_scope("users", Person.objects.accounts_visible_to)
