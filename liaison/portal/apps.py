from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The composing layer above the domain apps: public point pages and the display screen,
    reports (ledgers, statistics), the API router and the demo data. It reads the apps
    through their selectors; no domain app imports it."""

    name = "liaison.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("ledgers")  # each app's ledgers register with liaison.core.ledger
