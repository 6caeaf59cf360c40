from django.core.management.base import BaseCommand

from scoring.services import score_rebuild


class Command(BaseCommand):
    help = "Rebuild every performance-point event from the source records and the current rules."

    def handle(self, *args, **options):
        count = score_rebuild()
        self.stdout.write(self.style.SUCCESS(f"{count} score events rebuilt."))
