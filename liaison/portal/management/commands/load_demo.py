from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liaison.portal import demo


class Command(BaseCommand):
    help = "Load the demo liaison points, people, enterprises and requests. Safe to run again."

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Demo data is refused outside demo mode (production settings).")
        credentials = demo.load()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(
            f"Demo administrator: {credentials['admin']} / {credentials['password']} "
            "(other demo accounts: office, street_bq, street_qg, head_byd, head_qs, deputy_li, deputy_zhao, grid_wu, "
            "handler, handler_jw, handler_zj, handler_fg — same password)"
        )
