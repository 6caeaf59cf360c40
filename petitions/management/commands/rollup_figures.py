from django.core.management.base import BaseCommand

from petitions import rollups


class Command(BaseCommand):
    help = (
        "Bring the daily roll-ups of request figures up to date; --rebuild recomputes every row "
        "(after loading requests by other means than the services). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every row")

    def handle(self, *args, rebuild=False, **options):
        written = rollups.rollup_all() if rebuild else rollups.rollup_changed()
        self.stdout.write(f"{written} rows written.")
